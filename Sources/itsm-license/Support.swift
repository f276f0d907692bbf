import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

/// Table, CSV and Markdown columns for the records this tool prints.
enum Views {
  static let licenseCase: [Column] = [
    Column("case", "id"), Column("account", "account"), Column("app", "app"), Column("sku", "sku"),
    Column("reason", "reason"), Column("state", "state"), Column("grace until", "grace_until", .time),
    Column("monthly cost", "monthly_cost"),
  ]
  static let action: [Column] = [
    Column("action", "action"), Column("case", "case"), Column("account", "account"), Column("app", "app"),
    Column("sku", "sku"), Column("reason", "reason"), Column("grace until", "grace_until", .time),
    Column("saved", "saved_monthly"),
  ]
  static let utilization: [Column] = [
    Column("app", "app"), Column("sku", "sku"), Column("department", "department"), Column("purchased", "purchased"),
    Column("assigned", "assigned"), Column("active", "active"), Column("idle", "idle"),
    Column("unobserved", "unobserved"), Column("unassigned", "unassigned"),
    Column("utilization", "utilization", .percent),
    Column("idle cost/mo", "idle_monthly_cost"), Column("unassigned cost/mo", "unassigned_monthly_cost"),
  ]
  static let renewal: [Column] = [
    Column("app", "app"), Column("sku", "sku"), Column("renews", "renewal_date"), Column("notice by", "notice_by"),
    Column("purchased", "purchased"), Column("active", "active"), Column("recommended", "recommended_seats"),
    Column("cut", "seats_to_cut"), Column("annual savings", "annual_savings"),
  ]
  static let account: [Column] = [
    Column("id", "id"), Column("email", "email"), Column("department", "department"), Column("hr", "hr_status"),
    Column("manager", "manager"), Column("apps", "apps", .wrap(60)),
  ]
  static let all: [String: [Column]] = [
    "license.case": licenseCase, "license.action": action, "license.utilization": utilization,
    "license.renewal": renewal, "license.account": account,
  ]
}

/// Runs `body` in one write transaction on the license tables (rolled back with `dryRun`).
func withLicenses<T>(
  _ session: CommandSession, source: String, dryRun: Bool, _ body: (LicenseStore) throws -> T
) throws -> T {
  try session.global.withWritableDatabase(dryRun: dryRun) { database in
    try database.write(dryRun: dryRun) { db in
      try body(
        LicenseStore(
          db, context: session.context(source: source), now: session.now,
          reader: (database, session.global.environment)))
    }
  }
}

/// Reads the reports' view of the license tables (empty when there is no database yet).
func withReports<T>(_ session: CommandSession, _ body: (LicenseReports) throws -> T) throws -> T {
  try session.global.openDatabaseForReading().read { db in
    try body(
      LicenseReports(db, rules: session.policy.licenses, now: session.now, currency: session.policy.currency))
  }
}
