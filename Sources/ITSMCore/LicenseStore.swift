import Foundation
import GRDB

/// The license tables: apps, accounts, assignments, activity observations and reclamation
/// cases. Every change to an account or a case appends an event (entity `license.account`
/// or `license.case`) in the caller's transaction.
public final class LicenseStore {
  public let db: Database
  let context: ChangeContext
  let now: Timestamp
  /// Account ids to row numbers, loaded once: imports of a million rows look each up.
  private var accountNums: [String: Int64]?
  public private(set) var summary = ImportSummary()
  /// Accounts created because activity or an assignment named them: not in the directory.
  public private(set) var unknownAccounts = 0
  private let statements = PreparedStatements()
  /// The database file, for reading on a second connection while this one writes (`flag`,
  /// `reclaim`), as long as this connection has written nothing since the store was made.
  let reader: (database: AppDatabase, environment: [String: String])?
  /// The two statements of `importActivity`, kept at hand: it runs a million times.
  private var activityStatements: (seen: Statement, insert: Statement)?

  /// The connection's count of changes when the store was made: a second connection reads
  /// the same state only while it has not changed.
  let changesAtStart: Int

  /// A store for the transaction of `db`. With `reader` (the database `db` belongs to), the
  /// store is to be made as the transaction starts: a second connection then sees what this
  /// one does until it writes.
  public init(
    _ db: Database, context: ChangeContext, now: Timestamp,
    reader: (database: AppDatabase, environment: [String: String])? = nil
  ) {
    self.db = db
    self.context = context
    self.now = now
    self.reader = reader
    changesAtStart = db.totalChangesCount
  }

  /// Runs one statement, prepared once per transaction (GRDB's `execute(sql:)` compiles the
  /// text on every call, which cost most of `flag` and `reclaim` over 200,000 accounts).
  func exec(_ sql: String, _ arguments: StatementArguments = []) throws {
    try db.cachedStatement(sql: sql).execute(arguments: arguments)
  }

  func prepared(_ key: String, _ sql: @autoclosure () -> String) throws -> Statement {
    try statements.get(key, in: db, sql())
  }

  // MARK: Accounts

  func accountNum(_ id: String) throws -> Int64? {
    if accountNums == nil {
      var map: [String: Int64] = [:]
      let rows = try Row.fetchCursor(db, sql: "SELECT id, num FROM license_accounts")
      while let row = try rows.next() { map[row[0]] = row[1] }
      accountNums = map
    }
    return accountNums![id]
  }

  /// The row number of an account, created with status `unknown` when the directory has not
  /// named it (activity and assignments may come from vendors before HR data does).
  func ensureAccount(_ id: String) throws -> Int64 {
    if let num = try accountNum(id) { return num }
    try exec("INSERT INTO license_accounts (id, hr_status, updated_at) VALUES (?, 'unknown', ?)", [id, now.seconds])
    let num = db.lastInsertedRowID
    accountNums![id] = num
    unknownAccounts += 1
    try EventLog.append(
      [EventDraft(type: "created", at: now, data: JSONObject([JSONField("hr_status", .string("unknown"))]))],
      entity: "license.account", id: id, num: num, context: context, in: db)
    return num
  }

  static func accountFields(_ a: LicenseAccount) -> JSONObject {
    var o = JSONObject()
    o.add("email", a.email.map { .string($0) })
    o.add("name", a.name.map { .string($0) })
    o.add("manager", a.manager.map { .string($0) })
    o.add("department", a.department.map { .string($0) })
    o.add("hr_status", .string(a.hrStatus))
    o.add("departed_at", a.departedAt.map { .string($0.rfc3339) })
    o.add("hired_at", a.hiredAt.map { .string($0.rfc3339) })
    if !a.extra.isEmpty { o.add("extra", .object(a.extra)) }
    return o
  }

  /// Upserts a directory account by its stable id; a changed one gets an `updated` event
  /// with before and after (a new e-mail address, a departure).
  public func importAccount(_ account: LicenseAccount) throws {
    let fields = LicenseStore.accountFields(account)
    let extra: String? = account.extra.isEmpty ? nil : JSONSerializer.string(account.extra)
    guard let num = try accountNum(account.id) else {
      try exec(
        """
        INSERT INTO license_accounts (id, email, name, manager, department, hr_status, departed_at, hired_at, extra,
          updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        [
          account.id, account.email, account.name, account.manager, account.department, account.hrStatus,
          account.departedAt?.seconds, account.hiredAt?.seconds, extra, now.seconds,
        ])
      let num = db.lastInsertedRowID
      accountNums![account.id] = num
      try EventLog.append(
        [EventDraft(type: "created", at: now, data: fields)], entity: "license.account", id: account.id, num: num,
        context: context, in: db)
      summary.created += 1
      return
    }
    let row = try Row.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT email, name, manager, department, hr_status, departed_at, hired_at, extra FROM license_accounts
          WHERE num = ?
          """), arguments: [num])!
    var stored = LicenseAccount(id: account.id, hrStatus: row[4])
    stored.email = row[0]
    stored.name = row[1]
    stored.manager = row[2]
    stored.department = row[3]
    stored.departedAt = (row[5] as Int64?).map(Timestamp.init(seconds:))
    stored.hiredAt = (row[6] as Int64?).map(Timestamp.init(seconds:))
    if let text: String = row[7], case .object(let o)? = try? JSONParser.parse(text) { stored.extra = o }
    let changes = LicenseStore.accountFields(stored).changes(to: fields)
    guard !changes.isEmpty else {
      summary.unchanged += 1
      return
    }
    try exec(
      """
      UPDATE license_accounts SET email = ?, name = ?, manager = ?, department = ?, hr_status = ?, departed_at = ?,
        hired_at = ?, extra = ?, updated_at = ? WHERE num = ?
      """,
      [
        account.email, account.name, account.manager, account.department, account.hrStatus, account.departedAt?.seconds,
        account.hiredAt?.seconds, extra, now.seconds, num,
      ])
    try EventLog.append(
      [EventDraft(type: "updated", at: now, data: changes)], entity: "license.account", id: account.id, num: num,
      context: context, in: db)
    summary.updated += 1
  }

  // MARK: Apps, assignments, activity

  public func importApp(_ app: LicenseApp) throws {
    let existed =
      try Bool.fetchOne(
        db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM license_apps WHERE app = ? AND sku = ?)"),
        arguments: [app.app, app.sku]) ?? false
    let values: [DatabaseValueConvertible?] = [
      app.tierRank, app.unitCost, app.costPeriod, app.seats, app.billing, app.vendor, app.renewalDate?.seconds,
      app.noticeDays, app.extra.isEmpty ? nil : JSONSerializer.string(app.extra),
    ]
    try exec(
      """
      INSERT INTO license_apps (app, sku, tier_rank, unit_cost, cost_period, seats, billing, vendor, renewal_date,
        notice_days, extra, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (app, sku) DO UPDATE SET tier_rank = excluded.tier_rank, unit_cost = excluded.unit_cost,
        cost_period = excluded.cost_period, seats = excluded.seats, billing = excluded.billing,
        vendor = excluded.vendor, renewal_date = excluded.renewal_date, notice_days = excluded.notice_days,
        extra = excluded.extra, updated_at = excluded.updated_at
      WHERE tier_rank IS NOT excluded.tier_rank OR unit_cost IS NOT excluded.unit_cost
        OR cost_period IS NOT excluded.cost_period OR seats IS NOT excluded.seats OR billing IS NOT excluded.billing
        OR vendor IS NOT excluded.vendor OR renewal_date IS NOT excluded.renewal_date
        OR notice_days IS NOT excluded.notice_days OR extra IS NOT excluded.extra
      """, StatementArguments([app.app, app.sku] + values + [now.seconds]))
    count(changed: db.changesCount > 0, existed: existed)
  }

  /// Counts an upsert: `existed` when known, else a change is counted as created.
  private func count(changed: Bool, existed: Bool?) {
    if !changed {
      summary.unchanged += 1
    } else if existed == true {
      summary.updated += 1
    } else {
      summary.created += 1
    }
  }

  public func importAssignment(_ a: LicenseRecords.Assignment) throws {
    let num = try ensureAccount(a.account)
    let existed =
      try Bool.fetchOne(
        db.cachedStatement(
          sql: "SELECT EXISTS (SELECT 1 FROM license_assignments WHERE account_num = ? AND app = ? AND sku = ?)"),
        arguments: [num, a.app, a.sku]) ?? false
    let statement = try prepared(
      "assign",
      """
      INSERT INTO license_assignments (account_num, app, sku, since) VALUES (?, ?, ?, ?)
      ON CONFLICT DO UPDATE SET since = excluded.since WHERE since IS NOT excluded.since
      """)
    try statement.execute(arguments: [num, a.app, a.sku, a.since?.seconds])
    count(changed: db.changesCount > 0, existed: existed)
  }

  /// Records one observation. One that says nothing new (the account's last activity in the
  /// app is already on record) is left out: the same export imported again, at any time,
  /// changes nothing.
  public func importActivity(_ a: LicenseRecords.Activity) throws {
    let num = try ensureAccount(a.account)
    // A last activity already observed adds nothing. Asked apart from the insert: an INSERT
    // whose SELECT reads the table it writes goes through a temporary table on every call,
    // which took half the time of an import.
    if activityStatements == nil {
      activityStatements = (
        try db.makeStatement(
          sql: "SELECT 1 FROM license_activity WHERE account_num = ? AND app = ? AND last_active_at IS ?"),
        try db.makeStatement(
          sql: """
            INSERT INTO license_activity (account_num, app, observed_at, last_active_at) VALUES (?, ?, ?, ?)
            ON CONFLICT DO UPDATE SET last_active_at = excluded.last_active_at
            WHERE last_active_at IS NOT excluded.last_active_at
            """)
      )
    }
    var seen = RawStatement(activityStatements!.seen)
    seen.bind(num)
    seen.bind(a.app)
    seen.bind(a.lastActiveAt?.seconds)
    if try seen.hasRow() {
      count(changed: false, existed: nil)
      return
    }
    var statement = RawStatement(activityStatements!.insert)
    statement.bind(num)
    statement.bind(a.app)
    statement.bind(a.observedAt.seconds)
    statement.bind(a.lastActiveAt?.seconds)
    try statement.execute()
    count(changed: db.changesCount > 0, existed: nil)
  }
}
