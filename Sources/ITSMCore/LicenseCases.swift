import Foundation
import GRDB

/// A reclamation case as printed (kind `license.case`).
public struct LicenseCase: Sendable {
  public var num: Int64
  public var id: String
  public var account: String
  public var app: String
  public var sku: String
  public var reason: String
  public var state: String
  public var openedAt: Timestamp
  public var notifiedAt: Timestamp?
  public var graceUntil: Timestamp?
  public var closedAt: Timestamp?
  public var keptBy: String?
  public var monthlyCost: Double
  public var savedMonthly: Double?
  public var downgradedTo: String?

  public var isOpen: Bool { state == "candidate" || state == "notified" }

  init(
    num: Int64, id: String, account: String, app: String, sku: String, reason: String, state: String,
    openedAt: Timestamp, monthlyCost: Double
  ) {
    self.num = num
    self.id = id
    self.account = account
    self.app = app
    self.sku = sku
    self.reason = reason
    self.state = state
    self.openedAt = openedAt
    self.monthlyCost = monthlyCost
  }

  public var record: JSONObject {
    var o = JSONObject([JSONField("kind", .string("license.case")), JSONField("id", .string(id))])
    o.add("account", .string(account))
    o.add("app", .string(app))
    o.add("sku", .string(sku))
    o.add("reason", .string(reason))
    o.add("state", .string(state))
    o.add("opened_at", .string(openedAt.rfc3339))
    o.add("notified_at", notifiedAt.map { .string($0.rfc3339) })
    o.add("grace_until", graceUntil.map { .string($0.rfc3339) })
    o.add("closed_at", closedAt.map { .string($0.rfc3339) })
    o.add("kept_by", keptBy.map { .string($0) })
    o.add("monthly_cost", .double(LicenseCase.cents(monthlyCost)))
    o.add("saved_monthly", savedMonthly.map { .double(LicenseCase.cents($0)) })
    o.add("downgraded_to", downgradedTo.map { .string($0) })
    return o
  }

  static func cents(_ value: Double) -> Double { (value * 100).rounded() / 100 }

  static let columns = """
    c.num, c.id, a.id, c.app, c.sku, c.reason, c.state, c.opened_at, c.notified_at, c.grace_until, c.closed_at,
    c.kept_by, c.monthly_cost, c.saved_monthly, c.downgraded_to
    """

}

extension LicenseCase {
  /// A row selected with `columns`, read through the C API.
  init(columns r: ColumnReader) {
    num = r.int(0) ?? 0
    id = r.string(1) ?? ""
    account = r.string(2) ?? ""
    app = r.string(3) ?? ""
    sku = r.string(4) ?? ""
    reason = r.string(5) ?? ""
    state = r.string(6) ?? ""
    openedAt = Timestamp(seconds: r.int(7) ?? 0)
    notifiedAt = r.time(8)
    graceUntil = r.time(9)
    closedAt = r.time(10)
    keptBy = r.string(11)
    monthlyCost = r.double(12) ?? 0
    savedMonthly = r.double(13)
    downgradedTo = r.string(14)
  }

  init(_ row: Row) {
    num = row[0]
    id = row[1]
    account = row[2]
    app = row[3]
    sku = row[4]
    reason = row[5]
    state = row[6]
    openedAt = Timestamp(seconds: row[7])
    notifiedAt = (row[8] as Int64?).map(Timestamp.init(seconds:))
    graceUntil = (row[9] as Int64?).map(Timestamp.init(seconds:))
    closedAt = (row[10] as Int64?).map(Timestamp.init(seconds:))
    keptBy = row[11]
    monthlyCost = row[12]
    savedMonthly = row[13]
    downgradedTo = row[14]
  }
}

/// What `reclaim` did to one case (kind `license.action`): kept as the case, not as its
/// record, as a first run holds tens of thousands until they print.
public struct LicenseAction: Sendable {
  public var action: String
  public var `case`: LicenseCase
  public var at: Timestamp

  public var record: JSONObject {
    var record = JSONObject([JSONField("kind", .string("license.action")), JSONField("action", .string(action))])
    record.fields.append(
      contentsOf: self.case.record.fields.filter { $0.key != "kind" }.map {
        $0.key == "id" ? JSONField("case", $0.value) : $0
      })
    record.add("at", .string(at.rfc3339))
    return record
  }
}

extension LicenseStore {
  /// The monthly price of every SKU.
  func prices() throws -> [String: Double] {
    var prices: [String: Double] = [:]
    for row in try Row.fetchAll(db, sql: "SELECT app, sku, unit_cost, cost_period FROM license_apps") {
      let cost: Double = row[2]
      prices["\(row[0] as String)\u{1F}\(row[1] as String)"] = (row[3] as String) == "year" ? cost / 12 : cost
    }
    return prices
  }

  /// What `flag` reads, each in the order of its primary key or index, so that SQLite reads
  /// every table once and sorts nothing; `flag` walks them side by side (a merge join). A
  /// lookup per seat instead (four subqueries for each of 400,000 seats) took most of its time.
  /// The seats (bind: now, then the exempt groups), with their accounts:
  static func flagSeatsSQL(exemptGroups: Int = 0) -> String {
    """
    SELECT s.account_num, a.id, a.hr_status = 'departed' AND a.departed_at <= ?, a.hired_at, a.department,
      a.exempt_reason, s.app, s.sku, s.since, a.hr_status = 'unknown', \(inGroups(exemptGroups))
    FROM license_assignments s JOIN license_accounts a ON a.num = s.account_num
    ORDER BY s.account_num, s.app, s.sku
    """
  }

  /// Whether the account `a` is in one of `count` groups (bound): its record's `groups`, a
  /// list (or one name), kept under `extra`. 0 when there are none to ask for.
  static func inGroups(_ count: Int) -> String {
    guard count > 0 else { return "0" }
    let marks = Array(repeating: "?", count: count).joined(separator: ", ")
    return "EXISTS (SELECT 1 FROM json_each(a.extra, '$.groups') WHERE value IN (\(marks)))"
  }
  /// Per account and app: the last activity, if any row has one (a row says the app's exports
  /// list the account).
  static let flagActivitySQL = """
    SELECT account_num, app, max(last_active_at) FROM license_activity
    GROUP BY account_num, app ORDER BY account_num, app
    """
  /// Per seat: whether a case is open, when it was last reclaimed or downgraded, and when it
  /// was last kept by hand.
  static let flagCasesSQL = """
    SELECT account_num, app, sku, max(state IN ('candidate', 'notified')),
      max(CASE WHEN state IN ('reclaimed', 'downgraded') THEN closed_at END),
      max(CASE WHEN kept_by = 'manual' THEN closed_at END)
    FROM license_cases GROUP BY account_num, app, sku ORDER BY account_num, app, sku
    """

  /// Opens a case per assignment the policy flags: departed accounts; accounts the directory
  /// does not know (unassigned: no person holds the seat); accounts never active in an app
  /// whose exports list them, or inactive past the app's window; the lower SKU of two of one
  /// app. New hires in their first days, exempt accounts (`LicenseRules.exempts`), and
  /// assignments kept by hand in the last 90 days are never flagged; an assignment with an
  /// open case gets no second one, nor does one reclaimed since it was assigned. Returns the
  /// cases it opened.
  public func flag(rules: LicenseRules, inactiveDays override: Int?) throws -> [LicenseCase] {
    let prices = try prices()
    let ranks = try Dictionary(
      Row.fetchAll(db, sql: "SELECT app || char(31) || sku, tier_rank FROM license_apps").map {
        ($0[0] as String, ($0[1] as Int?) ?? 0)
      }, uniquingKeysWith: { a, _ in a })
    var opened: [LicenseCase] = []
    var counter = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'license_case'") ?? 0
    // Row numbers given here, as SQLite would (the largest plus one), so that cases are
    // written many to a statement and their events know them.
    var num = try Int64.fetchOne(db, sql: "SELECT coalesce(max(num), 0) FROM license_cases") ?? 0
    var writes = CaseWrites()
    func open(_ flag: FlagFound) throws {
      counter += 1
      num += 1
      let found = LicenseCase(
        num: num, id: "LC-\(counter)", account: flag.id, app: flag.app, sku: flag.sku, reason: flag.reason,
        state: "candidate", openedAt: now, monthlyCost: prices["\(flag.app)\u{1F}\(flag.sku)"] ?? 0)
      writes.insert(found, accountNum: flag.num)
      writes.event(
        found, "opened", at: now, JSONObject(found.record.fields.filter { $0.key != "kind" && $0.key != "id" }))
      try writes.flush(self, all: false)
      opened.append(found)
    }
    let (now, keptSince) = (now, now.seconds - 90 * 86_400)
    let find = { @Sendable (db: Database, send: (FlagFound) throws -> Void) throws in
      try LicenseStore.findFlags(
        db, rules: rules, inactiveDays: override, ranks: ranks, now: now, keptSince: keptSince, send)
    }
    try overlapping(find, open)
    try writes.flush(self, all: true)
    if !opened.isEmpty {
      try exec(
        "INSERT INTO counters (name, value) VALUES ('license_case', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
        [counter])
    }
    return opened
  }

  /// Hands what `read` finds to `use`, which writes on this connection. With a file, and
  /// nothing written yet by this store's transaction, `read` runs on a connection of its own
  /// meanwhile: it sees the state before the writes, as this process holds the write lock.
  /// Otherwise all is read first (the writes change the rows the reading walks).
  private func overlapping<Row: Sendable>(
    _ read: @escaping @Sendable (Database, (Row) throws -> Void) throws -> Void, _ use: (Row) throws -> Void
  ) throws {
    if let reader, db.totalChangesCount == changesAtStart,
      try reader.database.scanInParallel(
        parts: 1, environment: reader.environment, produce: { _, db, send in try read(db, send) }, consume: use)
    {
      return
    }
    var rows: [Row] = []
    try read(db) { rows.append($0) }
    for row in rows { try use(row) }
  }

  /// A seat `flag` opens a case for.
  struct FlagFound: Sendable {
    var num: Int64
    var id: String
    var app: String
    var sku: String
    var reason: String
  }

  /// The seats to open cases for, in the order of the seats (account, app, SKU), a duplicate
  /// after the other SKUs of its app: on any connection.
  static func findFlags(
    _ db: Database, rules: LicenseRules, inactiveDays override: Int?, ranks: [String: Int], now: Timestamp,
    keptSince: Int64, _ send: (FlagFound) throws -> Void
  ) throws {
    let groups = rules.exemptGroups.sorted()
    var seats = RawStatement(try db.makeStatement(sql: LicenseStore.flagSeatsSQL(exemptGroups: groups.count)))
    seats.bind(now.seconds)
    for group in groups { seats.bind(group) }
    var activity = MergeCursor(RawStatement(try db.makeStatement(sql: LicenseStore.flagActivitySQL)))
    var cases = MergeCursor(RawStatement(try db.makeStatement(sql: LicenseStore.flagCasesSQL)))
    // Per account and app, the SKUs held, for duplicates.
    var held: [(sku: String, covered: Bool)] = []
    var heldKey: (Int64, String)?
    var heldID = ""
    func closeHeld() throws {
      guard let (num, app) = heldKey, held.count > 1 else { return }
      let top = held.map { ranks["\(app)\u{1F}\($0.sku)"] ?? 0 }.max() ?? 0
      for entry in held where !entry.covered && (ranks["\(app)\u{1F}\(entry.sku)"] ?? 0) < top {
        try send(FlagFound(num: num, id: heldID, app: app, sku: entry.sku, reason: "duplicate"))
      }
    }
    try seats.forEachRow { c in
      let num = c.int(0)!
      let id = c.string(1)!
      let app = c.string(6)!
      let sku = c.string(7)!
      if heldKey.map({ $0.0 != num || $0.1 != app }) ?? true {
        try closeHeld()
        held = []
        heldKey = (num, app)
        heldID = id
      }
      // The account's activity in the app, and the seat's cases, found by the bytes of the
      // seat's app and SKU as stored (not as decoded into Strings).
      let (appBytes, skuBytes) = (c.bytes(6)!, c.bytes(7)!)
      let seen = try activity.find(num, appBytes)
      let seat = try cases.find(num, appBytes, skuBytes)
      let departed = (c.int(2) ?? 0) != 0
      let since = c.int(8) ?? 0
      let blocked =
        (seat?.int(3) ?? 0) != 0 || (seat?.int(4)).map { $0 >= since } == true
        || (!departed && (seat?.int(5)).map { $0 >= keptSince } == true)
      let exempt = rules.exempts(
        account: id, department: c.string(4), byHand: c.string(5) != nil, inExemptGroup: (c.int(10) ?? 0) != 0)
      let hiredAt = c.time(3)
      let newHire = hiredAt.map { now.seconds - $0.seconds < Int64(rules.newHireDays) * 86_400 } ?? false
      var reason: String?
      if !exempt && !blocked {
        let days = Int64(override ?? rules.inactiveDays(for: app))
        let threshold = now.seconds - days * 86_400
        if departed {
          reason = "departed"
        } else if newHire {
          reason = nil
        } else if (c.int(9) ?? 0) != 0 {
          // Held by an account the directory does not know: no person is assigned the seat.
          reason = "unassigned"
        } else if let last = seen?.int(2) {
          if last < threshold { reason = "inactive" }
        } else if seen != nil && (c.int(8) ?? Int64.min) < threshold {
          reason = "never_used"
        }
      }
      if let reason { try send(FlagFound(num: num, id: id, app: app, sku: sku, reason: reason)) }
      held.append((sku, reason != nil || exempt || blocked || newHire))
    }
    try closeHeld()
  }

  func `case`(num: Int64) throws -> LicenseCase {
    LicenseCase(
      try Row.fetchOne(
        db,
        sql:
          "SELECT \(LicenseCase.columns) FROM license_cases c JOIN license_accounts a ON a.num = c.account_num WHERE c.num = ?",
        arguments: [num])!)
  }

  /// The case with this id; an unknown one fails (exit 1).
  public func requireCase(_ id: String) throws -> LicenseCase {
    guard
      let row = try Row.fetchOne(
        db,
        sql:
          "SELECT \(LicenseCase.columns) FROM license_cases c JOIN license_accounts a ON a.num = c.account_num WHERE c.id = ?",
        arguments: [id])
    else { throw ITSMError.operationFailed("no license case with id '\(id)'") }
    return LicenseCase(row)
  }

  /// Every case, optionally in one state, oldest first.
  public func cases(state: String?) throws -> [LicenseCase] {
    var sql = "SELECT \(LicenseCase.columns) FROM license_cases c JOIN license_accounts a ON a.num = c.account_num"
    var arguments: StatementArguments = []
    if let state {
      sql += " WHERE c.state = ?"
      arguments = [state]
    }
    return try Row.fetchAll(db, sql: sql + " ORDER BY c.num", arguments: arguments).map(LicenseCase.init)
  }

  /// Closes an open case as kept: by hand (`manual`, not flagged again for 90 days), for an
  /// exemption, or because the account became active again.
  @discardableResult
  public func keep(_ c: LicenseCase, by: String, reason: String) throws -> LicenseCase {
    guard c.isOpen else { throw ITSMError.operationFailed("\(c.id) is \(c.state); only open cases can be kept") }
    var writes = CaseWrites()
    let next = writes.keep(c, by: by, reason: reason, at: now)
    try writes.flush(self, all: true)
    return next
  }

  /// Exempts an account from flagging, and keeps its open cases.
  public func exempt(account id: String, reason: String) throws -> [LicenseCase] {
    guard let num = try accountNum(id) else { throw ITSMError.operationFailed("no license account with id '\(id)'") }
    let current = try String.fetchOne(
      db.cachedStatement(sql: "SELECT exempt_reason FROM license_accounts WHERE num = ?"), arguments: [num])
    guard current != reason else { return [] }
    try exec("UPDATE license_accounts SET exempt_reason = ?, updated_at = ? WHERE num = ?", [reason, now.seconds, num])
    try EventLog.append(
      [EventDraft(type: "exempted", at: now, data: JSONObject([JSONField("reason", .string(reason))]))],
      entity: "license.account", id: id, num: num, context: context, in: db)
    return try cases(state: nil).filter { $0.account == id && $0.isOpen }.map {
      try keep($0, by: "exempt", reason: reason)
    }
  }

  /// The open cases `reclaim` steps, with what it needs of their accounts (bind: now, then the
  /// exempt groups): read in row order from the oldest open case on, with the state tested per
  /// row (the +). Through the state index they would be sorted by number before the first came
  /// out, and no step could start until the whole read had ended.
  static func reclaimCasesSQL(exemptGroups: Int = 0) -> String {
    """
    SELECT \(LicenseCase.columns), a.exempt_reason, a.department, a.manager,
      (SELECT max(last_active_at) FROM license_activity v WHERE v.account_num = c.account_num AND v.app = c.app),
      m.email, a.email, a.hr_status = 'departed' AND a.departed_at <= ?, a.hr_status,
      \(LicenseStore.inGroups(exemptGroups))
    FROM license_cases c JOIN license_accounts a ON a.num = c.account_num
    LEFT JOIN license_accounts m ON m.id = a.manager
    WHERE c.num >= (SELECT min(num) FROM license_cases WHERE state IN ('candidate', 'notified'))
      AND +c.state IN ('candidate', 'notified')
    ORDER BY c.num
    """
  }

  /// One nightly step for every open case, each done once: a departed account's seat is
  /// reclaimed at once; an exempt account, one active again since the case opened, or (for an
  /// unassigned seat) one the directory now lists is kept; a candidate's manager is notified (one notification, through the outbox) and the grace
  /// period starts; a notified case past its grace period is reclaimed, or downgraded when the
  /// policy names a lower SKU. Returns what it did, as `license.action` records.
  public func reclaim(rules: LicenseRules) throws -> (actions: [LicenseAction], queued: Int) {
    let prices = try prices()
    let groups = rules.exemptGroups.sorted()
    let sql = LicenseStore.reclaimCasesSQL(exemptGroups: groups.count)
    // Read through the C API, as GRDB's rows copy and box every value of tens of thousands of
    // cases. What each step is to do is worked out on the reading thread too (the records
    // printed are not: made there and kept, they grew that thread's heap a page at a time);
    // this one writes.
    let now = now
    let read = { @Sendable (db: Database, send: (ReclaimStep) throws -> Void) throws in
      var statement = RawStatement(try db.makeStatement(sql: sql))
      statement.bind(now.seconds)
      for group in groups { statement.bind(group) }
      try statement.forEachRow { r in
        let open = OpenCase(
          c: LicenseCase(columns: r), exemptReason: r.string(15), department: r.string(16), manager: r.string(17),
          managerEmail: r.string(19), email: r.string(20), lastActive: r.int(18), departed: (r.int(21) ?? 0) != 0,
          known: r.string(22) != "unknown", inExemptGroup: (r.int(23) ?? 0) != 0)
        if let step = ReclaimStep(open, rules: rules, prices: prices, now: now) { try send(step) }
      }
    }
    let deleteSeat = try prepared(
      "deleteSeat",
      "DELETE FROM license_assignments WHERE account_num = (SELECT account_num FROM license_cases WHERE num = ?) AND app = ? AND sku = ?"
    )
    func removeSeat(_ c: LicenseCase) throws {
      var delete = RawStatement(deleteSeat)
      delete.bind(c.num)
      delete.bind(c.app)
      delete.bind(c.sku)
      try delete.execute()
    }
    // Every step is buffered and written many to a statement; seats are changed at once.
    var writes = CaseWrites()
    var actions: [LicenseAction] = []
    func apply(_ step: ReclaimStep) throws {
      let c = step.next
      switch step.seat {
      case .kept: break
      case .removed: try removeSeat(c)
      case .downgraded(let lower):
        try removeSeat(c)
        try exec(
          """
          INSERT OR IGNORE INTO license_assignments (account_num, app, sku, since)
          SELECT account_num, ?, ?, ? FROM license_cases WHERE num = ?
          """, [c.app, lower, now.seconds, c.num])
      }
      if let notification = step.notification { writes.notify(notification) }
      writes.add(step.next, step.event)
      actions.append(step.action)
      try writes.flush(self, all: false)
    }
    try overlapping(read, apply)
    try writes.flush(self, all: true)
    return (actions, writes.queued)
  }
}

/// An open case as `reclaim` reads it, with what it needs of the account.
struct OpenCase: Sendable {
  var c: LicenseCase
  var exemptReason, department, manager, managerEmail, email: String?
  var lastActive: Int64?
  var departed: Bool
  var known: Bool
  var inExemptGroup: Bool
}

/// What `reclaim` does to one open case, worked out from the case alone (on any thread):
/// the case as it is then, its event, the notification to send, what becomes of the seat,
/// and the action to print.
struct ReclaimStep: Sendable {
  enum Seat: Sendable {
    case kept
    case removed
    case downgraded(to: String)
  }
  var seat = Seat.kept
  var next: LicenseCase
  var event: EventDraft
  var notification: NotificationDraft?
  var action: LicenseAction

  /// Nil when the case waits (a notified case within its grace period).
  init?(_ row: OpenCase, rules: LicenseRules, prices: [String: Double], now: Timestamp) {
    let c = row.c
    let exempt = rules.exempts(
      account: c.account, department: row.department, byHand: row.exemptReason != nil,
      inExemptGroup: row.inExemptGroup)
    let lastActive = row.lastActive.map(Timestamp.init(seconds:))
    // Whatever the case was opened for, a person who has left loses the seat now.
    let departed = row.departed
    let window = Int64(rules.inactiveDays(for: c.app)) * 86_400
    let action: String
    if exempt && !departed {
      (next, event) = CaseWrites.kept(c, by: "exempt", reason: "account exempt", at: now)
      action = "kept"
    } else if !departed, c.reason == "inactive" || c.reason == "never_used", let lastActive,
      c.reason == "never_used" || lastActive.seconds >= now.seconds - window
    {
      (next, event) = CaseWrites.kept(c, by: "active", reason: "active again at \(lastActive.rfc3339)", at: now)
      action = "kept"
    } else if !departed, c.reason == "unassigned", row.known {
      (next, event) = CaseWrites.kept(c, by: "directory", reason: "the directory lists the account", at: now)
      action = "kept"
    } else if departed || c.reason == "departed"
      || (c.state == "notified" && (c.graceUntil.map { now >= $0 } ?? true))
    {
      // An idle seat may move to a cheaper SKU; a departed account's or a duplicate goes.
      if !departed, c.reason == "inactive" || c.reason == "never_used",
        let lower = rules.apps[c.app]?.downgrade[c.sku],
        lower != c.sku, let lowerPrice = prices["\(c.app)\u{1F}\(lower)"]
      {
        let saved = max(0, c.monthlyCost - lowerPrice)
        seat = .downgraded(to: lower)
        (next, event) = CaseWrites.stepped(c, to: "downgraded", at: now) {
          $0.closedAt = now
          $0.savedMonthly = saved
          $0.downgradedTo = lower
        }
        action = "downgraded"
      } else {
        seat = .removed
        (next, event) = CaseWrites.stepped(c, to: "reclaimed", at: now) {
          $0.closedAt = now
          $0.savedMonthly = c.monthlyCost
        }
        action = "reclaimed"
      }
    } else if c.state == "candidate" {
      let graceUntil = Timestamp(seconds: now.seconds + rules.gracePeriod.seconds)
      let target = (row.managerEmail ?? row.manager).map { EscalationTarget(.person, $0) } ?? rules.notify
      let notification = NotificationDraft(
        key: "license|\(c.id)|notify", source: "license", entity: "license.case", entityID: c.id, entityNum: c.num,
        priority: nil, target: target, reason: "license_\(c.reason)", level: nil,
        message: c.reason == "unassigned"
          ? "\(c.app) \(c.sku) is held by \(row.email ?? c.account), an account the directory does not know: the seat will be reclaimed on \(graceUntil.rfc3339.prefix(10)) unless the directory lists it or it is kept (itsm-license keep \(c.id) --reason ...)"
          : "\(c.app) \(c.sku) of \(row.email ?? c.account) is \(c.reason == "never_used" ? "unused" : c.reason): the seat will be reclaimed on \(graceUntil.rfc3339.prefix(10)) unless it is used or kept (itsm-license keep \(c.id) --reason ...)",
        createdAt: now)
      self.notification = notification
      let data = JSONObject([
        JSONField("notification", .string(notification.id)), JSONField("to", .string(target.description)),
      ])
      (next, event) = CaseWrites.stepped(c, to: "notified", at: now, data: data) {
        $0.notifiedAt = now
        $0.graceUntil = graceUntil
      }
      action = "notified"
    } else {
      return nil
    }
    self.action = LicenseAction(action: action, case: next, at: now)
  }
}

extension LicenseStore {
  /// How many cases are open (candidate or notified).
  public func openCases() throws -> Int {
    try Int.fetchOne(db, sql: "SELECT count(*) FROM license_cases WHERE state IN ('candidate', 'notified')") ?? 0
  }
}
