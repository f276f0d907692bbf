import Foundation
import GRDB
import GRDBSQLite
import Testing

@testable import ITSMCore

@Suite("database: schema, events, import")
struct DatabaseTests {
  func temporaryDatabase() throws -> AppDatabase {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-db-\(UUID().uuidString)")
    return try AppDatabase.openForWriting(path: folder.appendingPathComponent("t.db").path, environment: [:])
  }

  @Test func licenseFlagReadsEachTableOnceInKeyOrder() throws {
    // Flag walks the seats, the activity and the cases side by side: each must come in the
    // order of its key without a sort, and without a lookup per row into another table but
    // the account of each seat (by its row number).
    let database = try temporaryDatabase()
    for sql in [LicenseStore.flagSeatsSQL(), LicenseStore.flagActivitySQL, LicenseStore.flagCasesSQL] {
      let details = try database.read { db in
        try Row.fetchAll(
          db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: sql == LicenseStore.flagSeatsSQL() ? [0] : []
        ).map { $0["detail"] as String }
      }
      #expect(!details.contains { $0.contains("TEMP B-TREE") }, "\(details)")
      #expect(details.filter { $0.hasPrefix("SCAN") }.count == 1, "\(details)")
      #expect(details.allSatisfy { $0.hasPrefix("SCAN") || $0.contains("INTEGER PRIMARY KEY") }, "\(details)")
    }
  }

  /// Reclaim reads the open cases in row order without a sort, so that it steps the first
  /// while it reads the rest (a sort must read them all before the first comes out).
  @Test func reclaimReadsOpenCasesInRowOrderWithoutASort() throws {
    let database = try temporaryDatabase()
    let details = try database.read { db in
      try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + LicenseStore.reclaimCasesSQL(), arguments: [0]).map {
        $0["detail"] as String
      }
    }
    #expect(!details.contains { $0.contains("TEMP B-TREE") }, "\(details)")
    #expect(details.contains { $0.hasPrefix("SEARCH c USING INTEGER PRIMARY KEY (rowid>?)") }, "\(details)")
  }

  /// The read-only connections of a split scan keep SQLite's default page cache; the others
  /// the larger one that bulk writes use.
  @Test func splitScansReadWithASmallPageCache() throws {
    let database = try temporaryDatabase()
    let sizes = try database.readInParallel(parts: 2, environment: [:]) { _, db in
      try Int.fetchOne(db, sql: "PRAGMA cache_size")
    }
    #expect(sizes == [-2000, -2000])
    #expect(try database.read { try Int.fetchOne($0, sql: "PRAGMA cache_size") } == -32768)
  }

  /// SQLite's memory statistics are off (every allocation would take a lock that all
  /// connections share) when the setting came before the process's first connection; when it
  /// came too late, they stay on.
  @Test func sqliteMemoryStatisticsAreOffWhenSetInTime() throws {
    let database = try temporaryDatabase()
    try database.write { db in
      try db.execute(sql: "CREATE TABLE IF NOT EXISTS memory_probe (x)")
      try db.execute(sql: "INSERT INTO memory_probe VALUES (randomblob(100000))")
    }
    #expect([SQLITE_OK, SQLITE_MISUSE].contains(AppDatabase.sqliteSetUp))
    #expect((sqlite3_memory_used() == 0) == (AppDatabase.sqliteSetUp == SQLITE_OK))
  }

  /// Text bound through `RawStatement`, many rows to a statement: every size comes back as
  /// bound; a statement run again, or after a failure, holds only what it was bound to then.
  @Test func boundTextComesBackAsBound() throws {
    let database = try temporaryDatabase()
    let values: [String?] = [
      "", "a", String(repeating: "é", count: 7), String(repeating: "x", count: 16), nil,
      String(repeating: "long ", count: 2_000), String(repeating: "z", count: 3 << 20), "last",
    ]
    let objects = values.map { $0.map { JSONObject([JSONField("v", .string($0))]) } }
    try database.write { db in
      try db.execute(sql: "CREATE TABLE t (n INTEGER PRIMARY KEY, s TEXT, j TEXT UNIQUE)")
      let insert = { (count: Int) in
        try db.makeStatement(
          sql: "INSERT INTO t (n, s, j) VALUES " + Array(repeating: "(?, ?, ?)", count: count).joined(separator: ", "))
      }
      let rows = Array(zip(values.indices, zip(values, objects)))
      try writeInStatements(rows, prepared: { try insert($0) }) { s, row in
        s.bind(Int64(row.0))
        s.bind(row.1.0)
        s.bind(json: row.1.1)
      }
      // The same statement again: a repeated JSON text fails, and the next run binds anew.
      let one = try insert(1)
      var failing = RawStatement(one)
      failing.bind(100 as Int64)
      failing.bind("x")
      failing.bind(json: objects[1])
      #expect(throws: DatabaseError.self) { try failing.execute() }
      // Bound in part: what is left unbound is NULL, not what the failed run had.
      var again = RawStatement(one)
      again.bind(101 as Int64)
      again.bind("fresh")
      try again.execute()
    }
    try database.read { db in
      for (i, value) in values.enumerated() {
        let row = try Row.fetchOne(db, sql: "SELECT s, j FROM t WHERE n = ?", arguments: [i])!
        #expect(row["s"] as String? == value)
        #expect(row["j"] as String? == objects[i].map { JSONSerializer.string($0) })
      }
      let again = try Row.fetchOne(db, sql: "SELECT s, j FROM t WHERE n = 101")!
      #expect(again["s"] as String? == "fresh")
      #expect(again["j"] as String? == nil)
      #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM t") == values.count + 1)
    }
  }

  /// A CHECK or index condition with an IN list of more than two values builds a temporary
  /// b-tree for every row written: none of the tables itsm writes in bulk has one.
  @Test func bulkWritesBuildNoTemporaryTablePerRow() throws {
    let database = try temporaryDatabase()
    let statements = [
      "INSERT INTO license_cases (num, id, account_num, app, sku, reason, state, opened_at, monthly_cost) VALUES (1, 'c', 1, 'a', 's', 'r', 'candidate', 0, 1)",
      "UPDATE license_cases SET state = 'notified' WHERE num = 1",
      "INSERT INTO license_accounts (id, hr_status, updated_at) VALUES ('a', 'active', 0)",
      "UPDATE license_accounts SET hr_status = 'departed' WHERE num = 1",
      "INSERT INTO license_activity (account_num, app, observed_at) VALUES (1, 'a', 0)",
      "INSERT INTO license_assignments (account_num, app, sku) VALUES (1, 'a', 's')",
      "INSERT INTO notifications (id, source, entity, entity_id, recipient, channel, reason, message, created_at, next_attempt_at) VALUES ('n', 's', 'e', 'i', 'r', 'c', 'r', 'm', 0, 0)",
      "UPDATE notifications SET state = 'delivered' WHERE num = 1",
      "INSERT INTO incidents (id, title, service, status, priority, priority_source, opened_at, updated_at) VALUES ('i', 't', 's', 'new', 3, 'manual', 0, 0)",
      "UPDATE incidents SET status = 'closed' WHERE num = 1",
      "INSERT INTO events (at, entity, entity_id, entity_num, type, actor, source) VALUES (0, 'e', 'i', 1, 't', 'a', 's')",
      "INSERT INTO failure_modes (id, service, component, failure_mode, effect, cause, severity, occurrence, detection, rpn, action_priority, status, created_at, updated_at) VALUES ('f', 's', 'c', 'm', 'e', 'c', 1, 1, 1, 1, 'L', 'open', 0, 0)",
      "UPDATE failure_modes SET action_priority = 'H' WHERE num = 1",
      "INSERT INTO escalation_state (incident_num) VALUES (1)",
    ]
    try database.write { db in
      for sql in statements {
        let ops = try Row.fetchAll(db, sql: "EXPLAIN " + sql).map { $0["opcode"] as String }
        #expect(!ops.contains("OpenEphemeral"), "\(sql)")
      }
    }
  }

  /// The tables made anew by v6 keep every row, their checks, keys and indexes.
  @Test func tablesMadeAnewByV6KeepTheirRowsChecksAndIndexes() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-v6-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let queue = try DatabaseQueue(
      path: folder.appendingPathComponent("t.db").path, configuration: AppDatabase.configuration([:]))
    try Schema.migrator.migrate(queue, upTo: "v5-license-case-by-seat")
    let tables = ["license_accounts", "license_cases", "license_assignments", "failure_modes"]
    func dump(_ db: Database) throws -> [[String]] {
      try tables.map { try Row.fetchAll(db, sql: "SELECT * FROM \($0) ORDER BY 1").map(\.description) }
    }
    func indexes(_ db: Database) throws -> [String] {
      try String.fetchAll(
        db,
        sql: """
          SELECT name || ': ' || sql FROM sqlite_schema
          WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ('license_cases', 'failure_modes') ORDER BY name
          """)
    }
    let (rows, indexesBefore) = try queue.write { db in
      try db.execute(
        sql: """
          INSERT INTO license_accounts (num, id, email, manager, hr_status, departed_at, updated_at)
            VALUES (1, 'entra:1', 'a@x', 'entra:2', 'active', NULL, 5), (7, 'entra:2', NULL, NULL, 'departed', 9, 6);
          INSERT INTO license_assignments (account_num, app, sku, since) VALUES (1, 'm365', 'E3', 2), (7, 'm365', 'E3', 3);
          INSERT INTO license_cases (num, id, account_num, app, sku, reason, state, opened_at, monthly_cost, closed_at)
            VALUES (3, 'LC-3', 1, 'm365', 'E3', 'inactive', 'notified', 10, 36, NULL),
                   (4, 'LC-4', 7, 'm365', 'E3', 'departed', 'reclaimed', 10, 36, 11);
          INSERT INTO failure_modes (num, id, service, component, failure_mode, effect, cause, severity, occurrence,
            detection, rpn, action_priority, status, created_at, updated_at)
            VALUES (2, 'FM-2', 'mail', 'smtp', 'queue full', 'no mail', 'disk', 7, 5, 3, 105, 'M', 'open', 1, 2);
          """)
      return (try dump(db), try indexes(db))
    }
    try Schema.migrator.migrate(queue)
    try queue.write { (db: Database) throws -> Void in
      #expect(try dump(db) == rows)
      #expect(try indexes(db) == indexesBefore)
      for bad in [
        "UPDATE license_cases SET state = 'lost' WHERE num = 3",
        "UPDATE license_accounts SET hr_status = 'gone' WHERE num = 1",
        "UPDATE failure_modes SET action_priority = 'X' WHERE num = 2",
        // An account that does not exist, for a case and for a seat.
        "INSERT INTO license_cases (id, account_num, app, sku, reason, state, opened_at, monthly_cost) VALUES ('LC-9', 99, 'a', 's', 'r', 'candidate', 0, 1)",
        "INSERT INTO license_assignments (account_num, app, sku) VALUES (99, 'a', 's')",
        // One open case per seat.
        "INSERT INTO license_cases (id, account_num, app, sku, reason, state, opened_at, monthly_cost) VALUES ('LC-5', 1, 'm365', 'E3', 'inactive', 'candidate', 0, 1)",
      ] {
        #expect(throws: DatabaseError.self, "\(bad)") { try db.execute(sql: bad) }
      }
      #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM license_accounts WHERE num = 7") }
    }
  }

  @Test func eventsAreAppendOnly() throws {
    let database = try temporaryDatabase()
    try database.write { db in
      var i = Incident(
        id: "INC-1", title: "t", service: "s", priority: .p2, prioritySource: .manual, openedAt: Timestamp(seconds: 0))
      try IncidentStore(db, policy: Policy()).insert(
        &i, events: [EventDraft(type: "opened", at: Timestamp(seconds: 0))],
        context: ChangeContext(actor: "a", source: "test"))
    }
    #expect(throws: ITSMError.self) { try database.write { try $0.execute(sql: "UPDATE events SET type = 'x'") } }
    #expect(throws: ITSMError.self) { try database.write { try $0.execute(sql: "DELETE FROM events") } }
    #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") } == 1)
  }

  /// The receiver's group commit: a delivery that fails is undone alone, the others commit.
  @Test func groupCommitUndoesAFailedDeliveryAlone() throws {
    let database = try temporaryDatabase()
    // A rule that refuses one title, as a constraint would, in the middle of the group.
    try database.write {
      try $0.execute(
        sql: """
          CREATE TRIGGER refuse_title BEFORE INSERT ON incidents WHEN NEW.title = 'refuse me'
          BEGIN SELECT RAISE(ABORT, 'refused by the test'); END
          """)
    }
    let policy = Policy()
    let at = Timestamp(seconds: 1_000)
    func alert(_ key: String, _ title: String) -> Alert {
      Alert(dedupKey: key, state: .firing, title: title, service: "mail", priority: .p2, at: at, extra: JSONObject())
    }
    let results = try database.ingest(
      deliveries: [
        ([alert("a", "first")], at), ([alert("b", "kept part"), alert("c", "refuse me")], at),
        ([alert("a", "first"), alert("d", "last")], at),
      ], policy: policy, context: ChangeContext(actor: "t", source: "test"))
    #expect((try? results[0].get())?.count == 1)
    #expect((try? results[1].get()) == nil)
    #expect((try? results[2].get())?.count == 2)
    let stored = try database.read {
      try Row.fetchAll($0, sql: "SELECT dedup_key, alert_count FROM incidents ORDER BY dedup_key").map {
        "\($0[0] as String):\($0[1] as Int)"
      }
    }
    // b went with the failed delivery, although its own insert had worked.
    #expect(stored == ["a:2", "d:1"])
    let events = try database.read {
      try Int.fetchOne($0, sql: "SELECT count(*) FROM events WHERE entity_id = 'INC-2'")
    }
    #expect(events == 1)
  }

  @Test func walModeAndBusyTimeout() throws {
    let database = try temporaryDatabase()
    #expect(try database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    #expect(AppDatabase.busyTimeout(environment: [:]) >= 5)
  }

  @Test func nextIdSkipsImportedIds() throws {
    let database = try temporaryDatabase()
    let id = try database.write { db -> String in
      let store = IncidentStore(db, policy: Policy())
      var i = Incident(
        id: "INC-1", title: "t", service: "s", priority: .p2, prioritySource: .manual, openedAt: Timestamp(seconds: 0))
      try store.insert(&i, events: [], context: ChangeContext(actor: "a", source: "test"))
      return try store.nextID()
    }
    #expect(id == "INC-2")
  }

  @Test func openIncidentQueryUsesThePartialIndex() throws {
    let database = try temporaryDatabase()
    let plan = try database.read { db in
      try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE \(Schema.openCondition)").map {
        $0["detail"] as String
      }
    }
    #expect(plan.joined().contains("incidents_open"))
  }
}

@Suite("report facts read in two parts")
struct ParallelFactsTests {
  /// A part of the table read by row range, and itsm-escalate's counts over the same range,
  /// both come in row order as stored: the merge of the two sorts nothing and looks nothing up.
  @Test(arguments: [(nil as Int?, nil as Int?), (0, 4000)])
  func aPartAndItsEscalationCountsAreReadInRowOrderWithoutASort(since: Int?, until: Int?) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-facts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = try AppDatabase.openForWriting(path: folder.appendingPathComponent("t.db").path, environment: [:])
    let query = FactsQuery(
      since: since.map { Timestamp(seconds: Int64($0)) }, resolvedSince: since.map { Timestamp(seconds: Int64($0)) },
      until: until.map { Timestamp(seconds: Int64($0)) }, firstHumanAction: false)
    let (sql, merges) = query.sql(rows: 1...100)
    #expect(merges)
    try database.read { db in
      for text in [sql, FactsQuery.statesSQL] {
        let marks = text.filter { $0 == "?" }.count
        let plan = try Row.fetchAll(
          db, sql: "EXPLAIN QUERY PLAN " + text, arguments: StatementArguments(Array(repeating: 1, count: marks))
        ).map { $0["detail"] as String }
        #expect(!plan.contains { $0.contains("TEMP B-TREE") }, "\(plan)")
        #expect(plan.contains { $0.contains("INTEGER PRIMARY KEY (rowid>? AND rowid<?)") }, "\(plan)")
        #expect(!plan.contains { $0.contains("escalation_state") && text == sql }, "\(plan)")
      }
    }
  }

  @Test(arguments: [(0, 4000), (3000, 3300)])
  func twoConnectionsFindTheSameFactsAsOne(since: Int, until: Int) throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-facts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = try AppDatabase.openForWriting(path: folder.appendingPathComponent("t.db").path, environment: [:])
    try database.write { db in
      // 4,000 incidents, one an hour; every third still open, the rest resolved 90 minutes in.
      try db.execute(
        sql: """
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
          INSERT INTO incidents (id, title, service, status, priority, priority_source, opened_at, first_resolved_at,
            resolved_at, root_cause, updated_at)
          SELECT 'I' || i, 't', 's' || (i % 5), CASE WHEN i % 3 = 0 THEN 'new' ELSE 'resolved' END, 1 + i % 5, 'given',
            i * 3600, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 3600 + 5400 END,
            CASE WHEN i % 3 = 0 THEN NULL ELSE i * 3600 + 5400 END, 'c' || (i % 7), i * 3600
          FROM n
          """)
      // itsm-escalate's counts for every seventh incident (a merge of two row ranges when the
      // table is read in parts, a join otherwise): timeouts, escalations by hand, holds.
      try db.execute(sql: "INSERT INTO policy_versions (num, version, body, first_used_at) VALUES (1, 'v', '{}', 0)")
      try db.execute(
        sql: """
          INSERT INTO escalation_state (incident_num, policy_version, escalations_timeout, escalations_manual,
            response, resolution, held_seconds, held_since, seen_updated_at, active)
          SELECT num, 1, num % 3, num % 2, '{}', '{}', num * 10, CASE WHEN num % 2 = 0 THEN num * 3600 END, 0, 1
          FROM incidents WHERE num % 7 = 0
          """)
    }
    let window = (Timestamp(seconds: Int64(since) * 3600), Timestamp(seconds: Int64(until) * 3600))
    func ids(split: Int) throws -> [String] {
      var found: [String] = []
      try database.read { db in
        try IncidentStore(db, policy: Policy()).forEachFacts(
          since: window.0, resolvedSince: window.0, until: window.1, firstHumanAction: false, database: database,
          splitOver: split
        ) { f in
          let counts =
            f.escalationSplitKnown
            ? "\(f.escalatedByTimeout) \(f.escalatedByHand) \(f.heldSeconds) \(f.heldSince?.seconds ?? -1)" : "-"
          found.append("\(f.id ?? "") \(counts)")
        }
      }
      return found.sorted()
    }
    let one = try ids(split: 1_000_000)
    let two = try ids(split: 10)
    #expect(one == two)
    // Opened in the window, or first resolved in it, or open: by hand.
    var expected: [String] = []
    for i in 1...4000 {
      let opened = i >= since && i < until
      let resolvedAt: Int = i * 3600 + 5400
      let resolved: Bool = i % 3 != 0 && resolvedAt >= since * 3600 && resolvedAt < until * 3600
      // Incident i has row number i.
      let counts = i % 7 == 0 ? "\(i % 3 > 0) \(i % 2 > 0) \(i * 10) \(i % 2 == 0 ? i * 3600 : -1)" : "-"
      if opened || resolved || i % 3 == 0 { expected.append("I\(i) \(counts)") }
    }
    #expect(one == expected.sorted())
  }
}
