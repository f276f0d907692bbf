import Foundation
import GRDB

/// Utilization, savings, renewals and forecasts over the license tables.
public struct LicenseReports {
  public let db: Database
  public let rules: LicenseRules
  public let now: Timestamp
  public let currency: String

  public init(_ db: Database, rules: LicenseRules, now: Timestamp, currency: String) {
    self.db = db
    self.rules = rules
    self.now = now
    self.currency = currency
  }

  static func money(_ value: Double) -> JSONValue { .double((value * 100).rounded() / 100) }

  /// Per SKU: purchased, assigned and active seats (active within the app's inactivity
  /// window), and the monthly cost of the idle and the unassigned ones.
  struct SKUUse {
    var app: String
    var sku: String
    var purchased: Int
    var monthly: Double
    var renewal: Timestamp?
    var noticeDays: Int?
    var assigned = 0
    var active = 0
    /// Assigned seats whose app's exports never listed the account: neither active nor idle.
    var unobserved = 0
    var idle: Int { max(0, assigned - active - unobserved) }
  }

  func skuUse() throws -> [SKUUse] {
    var uses: [String: SKUUse] = [:]
    var order: [String] = []
    for row in try Row.fetchAll(
      db,
      sql:
        "SELECT app, sku, seats, unit_cost, cost_period, renewal_date, notice_days FROM license_apps ORDER BY app, sku")
    {
      let key = "\(row[0] as String)\u{1F}\(row[1] as String)"
      let cost: Double = row[3]
      uses[key] = SKUUse(
        app: row[0], sku: row[1], purchased: row[2], monthly: (row[4] as String) == "year" ? cost / 12 : cost,
        renewal: (row[5] as Int64?).map(Timestamp.init(seconds:)), noticeDays: row[6])
      order.append(key)
    }
    // A departed person's seat is idle whatever the last sign-in says.
    let sql = """
      SELECT s.app, s.sku,
        (SELECT max(last_active_at) FROM license_activity v WHERE v.account_num = s.account_num AND v.app = s.app),
        EXISTS (SELECT 1 FROM license_activity v WHERE v.account_num = s.account_num AND v.app = s.app),
        a.hr_status = 'departed' AND a.departed_at <= ?
      FROM license_assignments s JOIN license_accounts a ON a.num = s.account_num
      """
    var statement = RawStatement(try db.makeStatement(sql: sql))
    statement.bind(now.seconds)
    try statement.forEachRow { c in
      let app = c.string(0)!
      let key = "\(app)\u{1F}\(c.string(1)!)"
      if uses[key] == nil {
        uses[key] = SKUUse(app: app, sku: c.string(1)!, purchased: 0, monthly: 0)
        order.append(key)
      }
      uses[key]!.assigned += 1
      let threshold = now.seconds - Int64(rules.inactiveDays(for: app)) * 86_400
      if c.int(4) == 1 { return }
      if let last = c.int(2), last >= threshold { uses[key]!.active += 1 }
      if c.int(3) == 0 { uses[key]!.unobserved += 1 }
    }
    return order.map { uses[$0]! }.sorted { ($0.app, $0.sku) < ($1.app, $1.sku) }
  }

  /// `license.utilization` records by app, SKU or department.
  public func utilization(by dimension: String) throws -> [JSONObject] {
    if dimension == "department" { return try byDepartment() }
    struct Group {
      var app: String
      var sku: String?
      var purchased = 0
      var assigned = 0
      var active = 0
      var idle = 0
      var unobserved = 0
      var idleCost = 0.0
      var unassignedCost = 0.0
    }
    var groups: [Group] = []
    for use in try skuUse() {
      let sku = dimension == "sku" ? use.sku : nil
      if groups.last.map({ $0.app != use.app || $0.sku != sku }) ?? true {
        groups.append(Group(app: use.app, sku: sku))
      }
      groups[groups.count - 1].purchased += use.purchased
      groups[groups.count - 1].assigned += use.assigned
      groups[groups.count - 1].active += use.active
      groups[groups.count - 1].idle += use.idle
      groups[groups.count - 1].unobserved += use.unobserved
      groups[groups.count - 1].idleCost += Double(use.idle) * use.monthly
      groups[groups.count - 1].unassignedCost += Double(max(0, use.purchased - use.assigned)) * use.monthly
    }
    return groups.map { g in
      var o = JSONObject([JSONField("kind", .string("license.utilization")), JSONField("app", .string(g.app))])
      o.add("sku", g.sku.map { .string($0) })
      o.add("purchased", .int(Int64(g.purchased)))
      o.add("assigned", .int(Int64(g.assigned)))
      o.add("active", .int(Int64(g.active)))
      o.add("idle", .int(Int64(g.idle)))
      o.add("unobserved", .int(Int64(g.unobserved)))
      o.add("unassigned", .int(Int64(max(0, g.purchased - g.assigned))))
      o.add(
        "utilization",
        g.purchased > 0 ? .double((Double(g.active) / Double(g.purchased) * 10000).rounded() / 10000) : nil)
      o.add("idle_monthly_cost", LicenseReports.money(g.idleCost))
      o.add("unassigned_monthly_cost", LicenseReports.money(g.unassignedCost))
      o.add("currency", .string(currency))
      return o
    }
  }

  private func byDepartment() throws -> [JSONObject] {
    let prices = try Dictionary(
      Row.fetchAll(db, sql: "SELECT app || char(31) || sku, unit_cost, cost_period FROM license_apps").map {
        ($0[0] as String, ($0[2] as String) == "year" ? ($0[1] as Double) / 12 : ($0[1] as Double))
      }, uniquingKeysWith: { a, _ in a })
    var groups: [String: (assigned: Int, active: Int, idle: Int, cost: Double)] = [:]
    let sql = """
      SELECT coalesce(a.department, ''), s.app, s.sku,
        (SELECT max(last_active_at) FROM license_activity v WHERE v.account_num = s.account_num AND v.app = s.app),
        EXISTS (SELECT 1 FROM license_activity v WHERE v.account_num = s.account_num AND v.app = s.app)
      FROM license_assignments s JOIN license_accounts a ON a.num = s.account_num
      """
    let statement = RawStatement(try db.makeStatement(sql: sql))
    try statement.forEachRow { c in
      let department = c.string(0) ?? ""
      let app = c.string(1)!
      let threshold = now.seconds - Int64(rules.inactiveDays(for: app)) * 86_400
      let active = c.int(3).map { $0 >= threshold } ?? false
      var g = groups[department, default: (0, 0, 0, 0)]
      g.assigned += 1
      if active {
        g.active += 1
      } else if c.int(4) != 0 {
        g.idle += 1
        g.cost += prices["\(app)\u{1F}\(c.string(2)!)"] ?? 0
      }
      groups[department] = g
    }
    return groups.keys.sorted { ($0.isEmpty ? "\u{10FFFF}" : $0) < ($1.isEmpty ? "\u{10FFFF}" : $1) }.map { d in
      let g = groups[d]!
      var o = JSONObject([JSONField("kind", .string("license.utilization"))])
      o.add("department", d.isEmpty ? .null : .string(d))
      o.add("assigned", .int(Int64(g.assigned)))
      o.add("active", .int(Int64(g.active)))
      o.add("idle", .int(Int64(g.idle)))
      o.add("unobserved", .int(Int64(g.assigned - g.active - g.idle)))
      o.add("idle_monthly_cost", LicenseReports.money(g.cost))
      o.add("currency", .string(currency))
      return o
    }
  }

  /// Potential savings (open cases) against realized ones (seats reclaimed or downgraded in
  /// the period), monthly and annualized.
  public func savings(period: ReportPeriod) throws -> JSONObject {
    let potential =
      try Row.fetchOne(
        db, sql: "SELECT count(*), total(monthly_cost) FROM license_cases WHERE state IN ('candidate', 'notified')")!
    let realized =
      try Row.fetchOne(
        db,
        sql: """
          SELECT count(*), total(saved_monthly), total(CASE WHEN state = 'downgraded' THEN 1 ELSE 0 END)
          FROM license_cases WHERE state IN ('reclaimed', 'downgraded') AND closed_at >= ? AND closed_at < ?
          """, arguments: [period.start.seconds, period.end.seconds])!
    let realizedMonthly: Double = realized[1]
    var o = JSONObject([
      JSONField("kind", .string("license.savings")), JSONField("period", .string(period.description)),
    ])
    o.add("potential_monthly", LicenseReports.money(potential[1]))
    o.add("potential_annualized", LicenseReports.money((potential[1] as Double) * 12))
    o.add("realized_monthly", LicenseReports.money(realizedMonthly))
    o.add("realized_annualized", LicenseReports.money(realizedMonthly * 12))
    o.add("open_cases", .int(potential[0]))
    o.add("reclaimed", .int((realized[0] as Int64) - Int64(realized[2] as Double)))
    o.add("downgraded", .int(Int64(realized[2] as Double)))
    o.add("currency", .string(currency))
    return o
  }

  /// Contracts renewing within the window: utilization and a recommended seat count (active
  /// seats plus 10 % headroom), with the date notice must be given by.
  public func renewals(within: DurationValue) throws -> [JSONObject] {
    let end = now.seconds + within.seconds
    return try skuUse().filter { use in use.renewal.map { $0.seconds >= now.seconds && $0.seconds <= end } ?? false }
      .sorted { ($0.renewal!, $0.app, $0.sku) < ($1.renewal!, $1.app, $1.sku) }
      .map { use in
        // Seats of accounts the exports do not cover count as needed: they cannot be judged.
        let base = use.active + use.unobserved
        let recommended = max(1, (base * 11 + 9) / 10)
        var o = JSONObject([JSONField("kind", .string("license.renewal")), JSONField("app", .string(use.app))])
        o.add("sku", .string(use.sku))
        o.add("renewal_date", .string(String(use.renewal!.rfc3339.prefix(10))))
        if let notice = use.noticeDays {
          o.add(
            "notice_by",
            .string(String(Timestamp(seconds: use.renewal!.seconds - Int64(notice) * 86_400).rfc3339.prefix(10))))
        }
        o.add("purchased", .int(Int64(use.purchased)))
        o.add("assigned", .int(Int64(use.assigned)))
        o.add("active", .int(Int64(use.active)))
        o.add("recommended_seats", .int(Int64(recommended)))
        let cut = max(0, use.purchased - recommended)
        o.add("seats_to_cut", .int(Int64(cut)))
        o.add("annual_savings", LicenseReports.money(Double(cut) * use.monthly * 12))
        o.add("currency", .string(currency))
        return o
      }
  }

  /// One month of a hiring plan.
  public struct PlanMonth: Sendable {
    public var month: String
    public var department: String?
    public var hires: Int
    public var leavers: Int
  }

  public static func planMonth(_ object: JSONObject) throws -> PlanMonth {
    let f = RecordFields(object)
    let month = try f["month"].string(required: true)!
    guard ReportPeriod(parsing: month).map({ $0.description == month }) == true, month.count == 7 else {
      throw RecordRejection("'month' must be YYYY-MM, got '\(month)'")
    }
    return PlanMonth(
      month: month, department: try f["department"].string(), hires: try f["hires"].count(required: false) ?? 0,
      leavers: try f["leavers"].count(required: false) ?? 0)
  }

  /// Seats needed per app by month: today's assignments plus the plan's net hires times the
  /// app's adoption (the share of active directory accounts holding it, per department when
  /// the plan names one).
  public func forecast(_ plan: [PlanMonth]) throws -> [JSONObject] {
    var people: [String: Int] = [:]
    var holders: [String: [String: Int]] = [:]
    var assigned: [String: Int] = [:]
    for row in try Row.fetchAll(
      db, sql: "SELECT coalesce(department, ''), count(*) FROM license_accounts WHERE hr_status = 'active' GROUP BY 1")
    {
      people[row[0]] = row[1]
    }
    for row in try Row.fetchAll(
      db,
      sql: """
        SELECT s.app, coalesce(a.department, ''), count(DISTINCT s.account_num) FROM license_assignments s
        JOIN license_accounts a ON a.num = s.account_num WHERE a.hr_status = 'active' GROUP BY 1, 2
        """)
    {
      holders[row[0], default: [:]][row[1]] = row[2]
    }
    for row in try Row.fetchAll(db, sql: "SELECT app, count(*) FROM license_assignments GROUP BY app") {
      assigned[row[0]] = row[1]
    }
    let purchased = Dictionary(
      try Row.fetchAll(db, sql: "SELECT app, sum(seats) FROM license_apps GROUP BY app").map {
        ($0[0] as String, $0[1] as Int)
      },
      uniquingKeysWith: { a, _ in a })
    let totalPeople = people.values.reduce(0, +)
    let months = Array(Set(plan.map(\.month))).sorted()
    var out: [JSONObject] = []
    for app in Set(assigned.keys).union(purchased.keys).sorted() {
      let byDepartment = holders[app] ?? [:]
      func adoption(_ department: String?) -> Double {
        if let department, let n = people[department], n > 0 {
          return Double(byDepartment[department] ?? 0) / Double(n)
        }
        return totalPeople > 0 ? Double(byDepartment.values.reduce(0, +)) / Double(totalPeople) : 0
      }
      var extra = 0.0
      for month in months {
        for row in plan where row.month == month { extra += Double(row.hires - row.leavers) * adoption(row.department) }
        let needed = max(0, Int((Double(assigned[app] ?? 0) + extra).rounded(.up)))
        var o = JSONObject([JSONField("kind", .string("license.forecast")), JSONField("app", .string(app))])
        o.add("month", .string(month))
        o.add("seats_needed", .int(Int64(needed)))
        o.add("purchased", .int(Int64(purchased[app] ?? 0)))
        o.add("gap", .int(Int64(needed - (purchased[app] ?? 0))))
        o.add("adoption", .double((adoption(nil) * 10000).rounded() / 10000))
        out.append(o)
      }
    }
    return out
  }

  /// `license.account` records with the apps each holds and its last activity in each.
  public func accounts(app: String?, inactiveOnly: Bool) throws -> [JSONObject] {
    var out: [JSONObject] = []
    var current: (num: Int64, record: JSONObject, apps: [JSONValue], inactive: Bool)?
    func close() {
      guard var c = current else { return }
      c.record.add("apps", .array(c.apps))
      if !inactiveOnly || c.inactive { out.append(c.record) }
    }
    let sql = """
      SELECT a.num, a.id, a.email, a.name, a.manager, a.department, a.hr_status, a.departed_at, a.hired_at,
        a.exempt_reason, s.app, s.sku,
        (SELECT max(last_active_at) FROM license_activity v WHERE v.account_num = s.account_num AND v.app = s.app)
      FROM license_accounts a LEFT JOIN license_assignments s ON s.account_num = a.num
      \(app == nil ? "" : "WHERE s.app = ?") ORDER BY a.num, s.app, s.sku
      """
    let rows = try Row.fetchCursor(db, sql: sql, arguments: app.map { [$0] } ?? [])
    while let row = try rows.next() {
      let num: Int64 = row[0]
      if current?.num != num {
        close()
        var o = JSONObject([JSONField("kind", .string("license.account")), JSONField("id", .string(row[1]))])
        for (i, key) in [(2, "email"), (3, "name"), (4, "manager"), (5, "department"), (6, "hr_status")] {
          o.add(key, (row[i] as String?).map { .string($0) })
        }
        o.add("departed_at", (row[7] as Int64?).map { .string(Timestamp(seconds: $0).rfc3339) })
        o.add("hired_at", (row[8] as Int64?).map { .string(Timestamp(seconds: $0).rfc3339) })
        o.add("exempt", (row[9] as String?).map { _ in .bool(true) })
        current = (num, o, [], false)
      }
      guard let appName: String = row[10] else { continue }
      let last = (row[12] as Int64?)
      let threshold = now.seconds - Int64(rules.inactiveDays(for: appName)) * 86_400
      if (last ?? Int64.min) < threshold { current!.inactive = true }
      var entry = JSONObject([JSONField("app", .string(appName)), JSONField("sku", .string(row[11]))])
      entry.add("last_active_at", last.map { .string(Timestamp(seconds: $0).rfc3339) })
      current!.apps.append(.object(entry))
    }
    close()
    return out
  }
}
