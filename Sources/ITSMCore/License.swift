import Foundation

/// The license part of the policy: when an account counts as inactive, how long the grace
/// period lasts, who is never flagged, and which SKUs downgrade instead of being reclaimed.
public struct LicenseRules: Equatable, Sendable {
  public struct AppRules: Equatable, Sendable {
    public var inactiveDays: Int?
    /// SKU -> the lower SKU to move an inactive account to instead of reclaiming the seat.
    public var downgrade: [String: String] = [:]
    public init() {}
  }

  public var inactiveDays = 30
  /// New hires are never flagged in their first days.
  public var newHireDays = 30
  public var gracePeriod = DurationValue(seconds: 14 * 86_400)
  /// Who hears of a case whose account has no manager.
  public var notify = EscalationTarget(.team, "it-asset-management")
  public var apps: [String: AppRules] = [:]
  public var exemptAccounts: Set<String> = []
  public var exemptDepartments: Set<String> = []
  /// Groups whose members are never flagged: an account record's `groups`.
  public var exemptGroups: Set<String> = []

  public init() {}

  public func inactiveDays(for app: String) -> Int { apps[app]?.inactiveDays ?? inactiveDays }

  /// Whether an account is never flagged: exempted by hand (`itsm-license exempt`), or by the
  /// policy by id, department or group (`inExemptGroup`, which the reading query finds).
  func exempts(account id: String, department: String?, byHand: Bool, inExemptGroup: Bool) -> Bool {
    byHand || inExemptGroup || exemptAccounts.contains(id) || department.map(exemptDepartments.contains) == true
  }
}

/// An app and SKU with its price and contract.
public struct LicenseApp: Equatable, Sendable {
  public var app: String
  public var sku: String
  public var tierRank: Int?
  public var unitCost: Double
  /// `month` or `year`.
  public var costPeriod: String
  public var seats: Int
  public var billing: String
  public var vendor: String?
  public var renewalDate: Timestamp?
  public var noticeDays: Int?
  public var extra = JSONObject()

  /// The cost of one seat for a month.
  public var monthlyCost: Double { costPeriod == "year" ? unitCost / 12 : unitCost }

  public var record: JSONObject {
    var o = JSONObject([JSONField("kind", .string("license.app"))])
    o.add("app", .string(app))
    o.add("sku", .string(sku))
    o.add("tier_rank", tierRank.map { .int(Int64($0)) })
    o.add("unit_cost", .double(unitCost))
    o.add("cost_period", .string(costPeriod))
    o.add("seats", .int(Int64(seats)))
    o.add("billing", .string(billing))
    o.add("vendor", vendor.map { .string($0) })
    o.add("renewal_date", renewalDate.map { .string(String($0.rfc3339.prefix(10))) })
    o.add("notice_days", noticeDays.map { .int(Int64($0)) })
    if !extra.isEmpty { o.add("extra", .object(extra)) }
    return o
  }
}

/// An account of the source's directory, keyed by its stable id (never the e-mail).
public struct LicenseAccount: Equatable, Sendable {
  public var id: String
  public var email: String?
  public var name: String?
  public var manager: String?
  public var department: String?
  /// `active`, `departed`, or `unknown` (seen only in activity data, not in the directory).
  public var hrStatus: String
  public var departedAt: Timestamp?
  public var hiredAt: Timestamp?
  public var extra = JSONObject()

  public init(id: String, hrStatus: String) {
    self.id = id
    self.hrStatus = hrStatus
  }
}

/// A parsed value of a record field that may come from CSV (text) or JSON (a number).
extension FieldValue {
  /// A number from a JSON number or from text; negative ones are refused.
  func amount(required: Bool) throws -> Double? {
    switch value {
    case nil, .null?:
      if required { throw RecordRejection("missing required field '\(key)'") }
      return nil
    case .int(let i)?: return try nonNegative(Double(i))
    case .double(let d)?: return try nonNegative(d)
    case .string(let s)?:
      let text = s.trimmingBlanks
      if text.isEmpty {
        if required { throw RecordRejection("missing required field '\(key)'") }
        return nil
      }
      guard let d = Double(text), d.isFinite else { throw RecordRejection("'\(key)' must be a number, got '\(s)'") }
      return try nonNegative(d)
    case let other?: throw RecordRejection("'\(key)' must be a number, got \(other.typeName)")
    }
  }

  private func nonNegative(_ d: Double) throws -> Double {
    guard d >= 0 else { throw RecordRejection("'\(key)' must not be negative, got \(d)") }
    return d
  }

  /// A whole number from JSON or text.
  func count(required: Bool) throws -> Int? {
    guard let d = try amount(required: required) else { return nil }
    guard d == d.rounded(), d < 1e12 else { throw RecordRejection("'\(key)' must be a whole number, got \(d)") }
    return Int(d)
  }

  /// A timestamp or a date; text in a vendor format is read by the preset first.
  func instant() throws -> Timestamp? {
    guard let text = try string() else { return nil }
    guard let t = TimestampParser.parseAbsolute(text.trimmingBlanks) else {
      throw RecordRejection("'\(key)': unparseable date '\(text)' (expected RFC 3339 or YYYY-MM-DD)")
    }
    return t
  }
}

/// Decodes the four record kinds of `itsm-license import`, from JSON Lines or CSV rows (text
/// values under the same names).
public enum LicenseRecords {
  public static func app(_ object: JSONObject) throws -> LicenseApp {
    let f = RecordFields(object)
    try expectKind(f, "license.app")
    let period = try f["cost_period"].string() ?? "month"
    guard period == "month" || period == "year" else {
      throw RecordRejection("'cost_period' must be month or year, got '\(period)'")
    }
    var app = LicenseApp(
      app: try f["app"].string(required: true)!, sku: try f["sku"].string(required: true)!,
      tierRank: try f["tier_rank"].count(required: false), unitCost: try f["unit_cost"].amount(required: true)!,
      costPeriod: period, seats: try f["seats"].count(required: true)!, billing: try f["billing"].string() ?? "seat",
      vendor: try f["vendor"].string(), renewalDate: try f["renewal_date"].instant(),
      noticeDays: try f["notice_days"].count(required: false))
    app.extra = extra(object, known: appKeys)
    return app
  }

  public static func account(_ object: JSONObject) throws -> LicenseAccount {
    let f = RecordFields(object)
    try expectKind(f, "license.account")
    let status = try f["hr_status"].string() ?? "active"
    guard ["active", "departed", "unknown"].contains(status) else {
      throw RecordRejection("'hr_status' must be active, departed or unknown, got '\(status)'")
    }
    var account = LicenseAccount(id: try f["id"].string(required: true)!, hrStatus: status)
    account.email = try f["email"].string()
    account.name = try f["name"].string()
    account.manager = try f["manager"].string()
    account.department = try f["department"].string()
    account.departedAt = try f["departed_at"].instant()
    account.hiredAt = try f["hired_at"].instant()
    if status == "departed" && account.departedAt == nil {
      throw RecordRejection("a departed account needs 'departed_at'")
    }
    account.extra = extra(object, known: accountKeys)
    return account
  }

  public struct Assignment: Sendable {
    public var account: String
    public var app: String
    public var sku: String
    public var since: Timestamp?
  }

  public static func assignment(_ object: JSONObject) throws -> Assignment {
    let f = RecordFields(object)
    try expectKind(f, "license.assignment")
    return Assignment(
      account: try f["account"].string(required: true)!, app: try f["app"].string(required: true)!,
      sku: try f["sku"].string(required: true)!, since: try f["since"].instant())
  }

  /// One observation of an account's last activity in an app. `lastActiveAt` nil: observed
  /// with no activity known (never used, or inactive that day for daily exports).
  public struct Activity: Sendable {
    public var account: String
    public var app: String
    public var lastActiveAt: Timestamp?
    public var observedAt: Timestamp
  }

  public static func activity(_ object: JSONObject, observedDefault: Timestamp) throws -> Activity {
    let f = RecordFields(object)
    try expectKind(f, "license.activity")
    return Activity(
      account: try f["account"].string(required: true)!, app: try f["app"].string(required: true)!,
      lastActiveAt: try f["last_active_at"].instant(), observedAt: try f["observed_at"].instant() ?? observedDefault)
  }

  static let appKeys: Set<String> = [
    "kind", "app", "sku", "tier_rank", "unit_cost", "cost_period", "seats", "billing", "vendor", "renewal_date",
    "notice_days", "extra",
  ]
  static let accountKeys: Set<String> = [
    "kind", "id", "email", "name", "manager", "department", "hr_status", "departed_at", "hired_at", "extra", "apps",
    "last_active", "exempt",
  ]

  static func expectKind(_ f: RecordFields, _ kind: String) throws {
    if let given = try f["kind"].string(), given != kind {
      throw RecordRejection("kind '\(given)' is not \(kind)")
    }
  }

  static func extra(_ object: JSONObject, known: Set<String>) -> JSONObject {
    var extra = JSONObject()
    if case .object(let given)? = object["extra"] { extra = given }
    for field in object.fields where !known.contains(field.key) { extra.add(field.key, field.value) }
    return extra
  }
}
