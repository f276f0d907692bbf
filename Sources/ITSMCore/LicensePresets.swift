import Foundation

/// The vendors' own activity exports, read as they come: the stable user id and the last
/// activity in each vendor's columns and date formats (REFERENCE.md).
public enum LicensePreset: String, CaseIterable, Sendable {
  /// Microsoft 365 / Entra ID users with `signInActivity.lastSuccessfulSignInDateTime`
  /// (Graph, or its CSV flattening with `.` or `/`), RFC 3339 or `M/d/yyyy h:mm:ss AM`.
  case m365
  /// Google Workspace users (Admin SDK, as GAM prints them): `id`, `lastLoginTime` (RFC 3339;
  /// 1970-01-01 means never).
  case google
  /// Slack daily member analytics: one row per member and day, `date`, `user_id`,
  /// `is_active`: the last activity is the last day active.
  case slack
  /// Atlassian organization export: `Atlassian ID`, `Last active` (`14 Dec 2025`, with or
  /// without a time, or `Never`).
  case atlassian

  struct Columns {
    var id: [String]
    var last: [String]
    var email: [String]
  }

  var columns: Columns {
    switch self {
    case .m365:
      return Columns(
        id: ["id", "Id", "objectId", "Object ID"],
        last: [
          "signInActivity.lastSuccessfulSignInDateTime", "signInActivity/lastSuccessfulSignInDateTime",
          "lastSuccessfulSignInDateTime", "LastSuccessfulSignInDateTime",
        ], email: ["userPrincipalName", "mail", "UserPrincipalName"])
    case .google:
      return Columns(id: ["id"], last: ["lastLoginTime"], email: ["primaryEmail"])
    case .slack:
      return Columns(id: ["user_id"], last: ["is_active"], email: ["email_address"])
    case .atlassian:
      return Columns(
        id: ["Atlassian ID", "User id", "account_id"], last: ["Last active", "last_active"], email: ["Email", "email"])
    }
  }

  /// Checks the header: a missing column is named (with the names it may have).
  public func check(_ header: CSVHeader, source: String) throws {
    let c = columns
    var needed = [c.id, c.last]
    if self == .slack { needed.append(["date"]) }
    for names in needed where header.column(names) == nil {
      throw ITSMError.badInputLines(
        [
          "\(source):1: missing column '\(names[0])'"
            + (names.count > 1 ? " (or \(names.dropFirst().map { "'\($0)'" }.joined(separator: ", ")))" : "")
            + " for --preset \(rawValue)"
        ], more: 0)
    }
  }

  /// One row of the export as an activity observation of `app`.
  public func activity(_ row: CSVRow, app: String, observedAt: Timestamp) throws -> LicenseRecords.Activity {
    let c = columns
    func cell(_ names: [String]) -> (String, String)? {
      for name in names { if let value = row[name] { return (name, value.trimmingBlanks) } }
      return nil
    }
    guard let (idColumn, id) = cell(c.id), !id.isEmpty else {
      throw RecordRejection("column '\(c.id[0])' is empty")
    }
    _ = idColumn
    let (lastColumn, lastText) = cell(c.last) ?? (c.last[0], "")
    switch self {
    case .slack:
      let dayText = row["date"]?.trimmingBlanks ?? ""
      guard let day = TimestampParser.parseAbsolute(dayText) else {
        throw RecordRejection("column 'date': unparseable date '\(dayText)' (expected YYYY-MM-DD)")
      }
      let active: Bool
      switch lastText.lowercased() {
      case "true", "1", "yes": active = true
      case "false", "0", "no", "": active = false
      default: throw RecordRejection("column '\(lastColumn)': expected true or false, got '\(lastText)'")
      }
      return LicenseRecords.Activity(account: id, app: app, lastActiveAt: active ? day : nil, observedAt: day)
    case .m365, .google, .atlassian:
      let last = try LicensePreset.date(lastText, column: lastColumn, preset: self)
      return LicenseRecords.Activity(account: id, app: app, lastActiveAt: last, observedAt: observedAt)
    }
  }

  /// A vendor date; nil for never. Unparseable text names the column.
  static func date(_ text: String, column: String, preset: LicensePreset) throws -> Timestamp? {
    let lowered = text.lowercased()
    if text.isEmpty || lowered.hasPrefix("never") || lowered == "n/a" { return nil }
    if let t = TimestampParser.parseAbsolute(text) {
      // Google writes the epoch for accounts that never signed in.
      return t.seconds == 0 ? nil : t
    }
    if let t = vendorFormats.read(text) { return t }
    let expected: String
    switch preset {
    case .m365: expected = "RFC 3339 or M/d/yyyy h:mm:ss AM"
    case .google: expected = "RFC 3339"
    case .atlassian: expected = "14 Dec 2025, with or without a time"
    case .slack: expected = "YYYY-MM-DD"
    }
    throw RecordRejection("column '\(column)': unparseable date '\(text)' (expected \(expected))")
  }

  /// The vendors' own formats, in UTC: `9/2/2026 10:11:00 AM` (US, as PowerShell's Export-Csv
  /// writes dates) and `14 Dec 2025`, with or without a time (Atlassian).
  static let vendorFormats = DateReader(
    patterns: [
      "M/d/yyyy h:mm:ss a", "M/d/yyyy H:mm:ss", "M/d/yyyy", "d MMM yyyy HH:mm:ss", "d MMM yyyy HH:mm", "d MMM yyyy",
    ],
    timeZone: TimeZone(identifier: "UTC")!)
}
