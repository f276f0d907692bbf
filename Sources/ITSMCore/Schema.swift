import GRDB

/// The database schema, as migrations. A released migration is never edited; a change is a
/// new migration.
public enum Schema {
  /// The SQL condition "the incident is open", shared word for word by the partial indexes and
  /// the queries that use them. It is an OR chain, not `IN (...)`: SQLite evaluates an IN list
  /// in an index condition through a temporary b-tree on every insert, which made bulk imports
  /// several times slower.
  public static let openCondition =
    "(" + IncidentStatus.openStates.map { "status = '\($0.rawValue)'" }.joined(separator: " OR ") + ")"

  public static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()
    migrator.registerMigration("v1-incidents-and-events") { db in
      try db.execute(
        sql: """
          CREATE TABLE incidents (
            num INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            title TEXT NOT NULL,
            service TEXT NOT NULL,
            status TEXT NOT NULL,
            priority INTEGER NOT NULL CHECK (priority BETWEEN 1 AND 5),
            priority_source TEXT NOT NULL,
            matrix_priority INTEGER,
            impact INTEGER CHECK (impact BETWEEN 1 AND 3),
            urgency INTEGER CHECK (urgency BETWEEN 1 AND 3),
            team TEXT, assignee TEXT, tier TEXT, region TEXT, impact_type TEXT,
            users_affected INTEGER, detection TEXT, dedup_key TEXT,
            alert_count INTEGER NOT NULL DEFAULT 0, last_alert_at INTEGER,
            tags TEXT, root_cause TEXT, resolution TEXT, failure_mode TEXT,
            started_at INTEGER, opened_at INTEGER NOT NULL, acknowledged_at INTEGER,
            first_resolved_at INTEGER, resolved_at INTEGER, closed_at INTEGER, canceled_at INTEGER,
            reopen_count INTEGER NOT NULL DEFAULT 0,
            reassignment_count INTEGER NOT NULL DEFAULT 0,
            escalation_level INTEGER NOT NULL DEFAULT 0,
            updated_at INTEGER NOT NULL,
            extra TEXT
          );
          CREATE INDEX incidents_open ON incidents(status) WHERE \(openCondition);
          CREATE INDEX incidents_dedup ON incidents(dedup_key)
            WHERE dedup_key IS NOT NULL AND \(openCondition);
          CREATE INDEX incidents_opened_at ON incidents(opened_at);

          -- seq only grows: rows are never deleted (the triggers below), so the next rowid is
          -- always past every seq handed out.
          CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            at INTEGER NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            entity_num INTEGER NOT NULL,
            type TEXT NOT NULL,
            actor TEXT NOT NULL,
            source TEXT NOT NULL,
            data TEXT
          );
          -- By the entity's row number, not its text id: rows created in bulk get rising
          -- numbers, so this index grows at its end instead of at random places.
          CREATE INDEX events_entity ON events(entity_num, entity);
          CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
          CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

          CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
          """)
    }
    migrator.registerMigration("v2-escalation-and-outbox") { db in
      try db.execute(
        sql: """
          -- The escalation and SLA rules as they were when an incident was first seen: YAML
          -- that the policy loader reads back, named by a hash of itself.
          CREATE TABLE policy_versions (
            num INTEGER PRIMARY KEY,
            version TEXT NOT NULL UNIQUE,
            body TEXT NOT NULL,
            first_used_at INTEGER NOT NULL
          );
          CREATE TABLE escalation_state (
            incident_num INTEGER PRIMARY KEY REFERENCES incidents(num),
            policy_version INTEGER NOT NULL REFERENCES policy_versions(num),
            policy_name TEXT,
            level INTEGER NOT NULL DEFAULT 0,
            level_at INTEGER,
            repeats INTEGER NOT NULL DEFAULT 0,
            renotified INTEGER NOT NULL DEFAULT 0,
            renotified_at INTEGER,
            war_room INTEGER NOT NULL DEFAULT 0,
            escalations_timeout INTEGER NOT NULL DEFAULT 0,
            escalations_manual INTEGER NOT NULL DEFAULT 0,
            response TEXT NOT NULL,
            resolution TEXT NOT NULL,
            held_seconds INTEGER NOT NULL DEFAULT 0,
            held_since INTEGER,
            seen_updated_at INTEGER NOT NULL,
            seen_at INTEGER NOT NULL DEFAULT 0,
            paused INTEGER NOT NULL DEFAULT 0,
            resumed_at INTEGER,
            next_due_at INTEGER,
            active INTEGER NOT NULL
          );
          CREATE INDEX escalation_state_active ON escalation_state(incident_num) WHERE active = 1;

          -- Reports ask for incidents opened or first resolved in a window.
          CREATE INDEX incidents_first_resolved ON incidents(first_resolved_at);

          -- The outbox: every notification any tool wants delivered waits here until
          -- 'itsm-escalate notify' delivers it. The id is derived from what the notification
          -- is about, so the same one is never queued twice.
          CREATE TABLE notifications (
            num INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            entity TEXT NOT NULL,
            entity_id TEXT NOT NULL,
            entity_num INTEGER,
            priority INTEGER,
            recipient TEXT NOT NULL,
            channel TEXT NOT NULL,
            reason TEXT NOT NULL,
            level INTEGER,
            message TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            lease_until INTEGER,
            lease_token TEXT,
            last_error TEXT,
            delivered_at INTEGER
          );
          CREATE INDEX notifications_pending ON notifications(next_attempt_at) WHERE state = 'pending';
          """)
    }
    migrator.registerMigration("v3-fmea") { db in
      try db.execute(
        sql: """
          -- The failure mode register. Scores are the current ones; every scoring is a 'scored'
          -- event (entity 'failure_mode') in the append-only log, which is the history.
          CREATE TABLE failure_modes (
            num INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            service TEXT NOT NULL,
            component TEXT NOT NULL,
            function TEXT,
            failure_mode TEXT NOT NULL,
            effect TEXT NOT NULL,
            cause TEXT NOT NULL,
            prevention TEXT,
            detection_controls TEXT,
            severity INTEGER NOT NULL CHECK (severity BETWEEN 1 AND 10),
            occurrence INTEGER NOT NULL CHECK (occurrence BETWEEN 1 AND 10),
            detection INTEGER NOT NULL CHECK (detection BETWEEN 1 AND 10),
            rpn INTEGER NOT NULL,
            action_priority TEXT NOT NULL CHECK (action_priority IN ('H', 'M', 'L')),
            owner TEXT,
            status TEXT NOT NULL,
            actions TEXT,
            alerting INTEGER NOT NULL DEFAULT 0,
            alerts_raised INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            extra TEXT
          );
          CREATE INDEX failure_modes_service ON failure_modes(service);
          """)
    }
    migrator.registerMigration("v4-license") { db in
      try db.execute(
        sql: """
          CREATE TABLE license_apps (
            app TEXT NOT NULL,
            sku TEXT NOT NULL,
            tier_rank INTEGER,
            unit_cost REAL NOT NULL CHECK (unit_cost >= 0),
            cost_period TEXT NOT NULL CHECK (cost_period IN ('month', 'year')),
            seats INTEGER NOT NULL CHECK (seats >= 0),
            billing TEXT NOT NULL,
            vendor TEXT,
            renewal_date INTEGER,
            notice_days INTEGER,
            extra TEXT,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (app, sku)
          ) WITHOUT ROWID;
          -- Keyed by the source's stable user id; the e-mail is only an attribute (it changes).
          CREATE TABLE license_accounts (
            num INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            email TEXT,
            name TEXT,
            manager TEXT,
            department TEXT,
            hr_status TEXT NOT NULL CHECK (hr_status IN ('active', 'departed', 'unknown')),
            departed_at INTEGER,
            hired_at INTEGER,
            exempt_reason TEXT,
            extra TEXT,
            updated_at INTEGER NOT NULL
          );
          CREATE TABLE license_assignments (
            account_num INTEGER NOT NULL REFERENCES license_accounts(num),
            app TEXT NOT NULL,
            sku TEXT NOT NULL,
            since INTEGER,
            PRIMARY KEY (account_num, app, sku)
          ) WITHOUT ROWID;
          -- Append-only observations: one per account, app and snapshot.
          CREATE TABLE license_activity (
            account_num INTEGER NOT NULL,
            app TEXT NOT NULL,
            observed_at INTEGER NOT NULL,
            last_active_at INTEGER,
            PRIMARY KEY (account_num, app, observed_at)
          ) WITHOUT ROWID;
          CREATE TABLE license_cases (
            num INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            account_num INTEGER NOT NULL REFERENCES license_accounts(num),
            app TEXT NOT NULL,
            sku TEXT NOT NULL,
            reason TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('candidate', 'notified', 'kept', 'reclaimed', 'downgraded')),
            opened_at INTEGER NOT NULL,
            notified_at INTEGER,
            grace_until INTEGER,
            closed_at INTEGER,
            kept_by TEXT,
            monthly_cost REAL NOT NULL,
            saved_monthly REAL,
            downgraded_to TEXT
          );
          CREATE UNIQUE INDEX license_cases_open ON license_cases(account_num, app, sku)
            WHERE state IN ('candidate', 'notified');
          CREATE INDEX license_cases_state ON license_cases(state, closed_at);
          """)
    }
    // `flag` asks, per seat, about the seat's closed cases too (reclaimed since it was
    // assigned, kept by hand lately); without this index each of those questions read every
    // case: a nightly run after the first took minutes.
    migrator.registerMigration("v5-license-case-by-seat") { db in
      try db.execute(sql: "CREATE INDEX license_cases_seat ON license_cases(account_num, app, sku)")
    }
    // A CHECK with an IN list of more than two values builds a temporary b-tree for every row
    // written (as `openCondition` says of index conditions): 2 to 3 µs a row, a tenth of the
    // first night's `flag` and `reclaim`. SQLite cannot alter a CHECK, so the tables that have
    // one are made anew with OR chains (foreign keys are checked once, at the end).
    migrator.registerMigration("v6-checks-without-in-lists") { db in
      try rebuild(
        db, "license_accounts",
        changing: "hr_status IN ('active', 'departed', 'unknown')",
        to: "hr_status = 'active' OR hr_status = 'departed' OR hr_status = 'unknown'")
      try rebuild(
        db, "license_cases",
        changing: "state IN ('candidate', 'notified', 'kept', 'reclaimed', 'downgraded')",
        to: "state = 'candidate' OR state = 'notified' OR state = 'kept' OR state = 'reclaimed' OR state = 'downgraded'"
      )
      try rebuild(
        db, "failure_modes",
        changing: "action_priority IN ('H', 'M', 'L')",
        to: "action_priority = 'H' OR action_priority = 'M' OR action_priority = 'L'")
    }
    return migrator
  }

  /// Makes `table` anew from its own definition with `old` (found there once) changed to
  /// `new`, copies its rows and makes its indexes again, each from its own definition: for a
  /// change SQLite cannot make in place, such as a CHECK. Run inside a migration, where
  /// foreign keys are checked at the end.
  private static func rebuild(_ db: Database, _ table: String, changing old: String, to new: String) throws {
    let definition = "SELECT sql FROM sqlite_schema WHERE tbl_name = ? AND type = ? AND sql IS NOT NULL"
    guard let sql = try String.fetchOne(db, sql: definition, arguments: [table, "table"]) else {
      throw ITSMError.operationFailed("the database has no table \(table) to migrate")
    }
    let head = "CREATE TABLE \(table) ("
    guard sql.hasPrefix(head), sql.ranges(of: old).count == 1 else {
      throw ITSMError.operationFailed("table \(table) is not as this migration expects: \(sql)")
    }
    let indexes = try String.fetchAll(db, sql: definition, arguments: [table, "index"])
    // The same columns in the same order: the rows copy as they are.
    try db.execute(
      sql: """
        CREATE TABLE \(table)_new (\(sql.dropFirst(head.count).replacing(old, with: new));
        INSERT INTO \(table)_new SELECT * FROM \(table);
        DROP TABLE \(table);
        ALTER TABLE \(table)_new RENAME TO \(table);
        """)
    for index in indexes { try db.execute(sql: index) }
  }
}
