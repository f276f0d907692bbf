import Foundation

/// Reads dates the way other tools export them: RFC 3339, a given pattern, or one of the
/// common instance formats, in a given time zone.
public struct DateReader: Sendable {
  /// Tried in order when no pattern is given.
  public static let detected = ["yyyy-MM-dd HH:mm:ss", "dd-MM-yyyy HH:mm", "MM/dd/yyyy hh:mm:ss a", "yyyy-MM-dd HH:mm"]

  public let patterns: [String]
  public let timeZone: TimeZone

  /// UTC needs no zone lookups (Foundation's cost more than the parsing).
  let isUTC: Bool

  public init(pattern: String?, timeZone: TimeZone) {
    self.init(patterns: pattern.map { [$0] } ?? DateReader.detected, timeZone: timeZone)
  }

  init(patterns: [String], timeZone: TimeZone) {
    self.patterns = patterns
    self.timeZone = timeZone
    isUTC = timeZone.identifier == "UTC" || timeZone.identifier == "GMT"
    dayAndTime = patterns.map { $0 == "yyyy-MM-dd HH:mm:ss" }
  }

  /// For each pattern, whether it is the one `parseDayAndTime` reads.
  private let dayAndTime: [Bool]

  /// The instant; nil when the text is in none of the formats.
  public func read(_ text: String) -> Timestamp? {
    var trimmed = text.trimmingBlanks
    return trimmed.withUTF8 { t -> Timestamp? in
      if t.contains(UInt8(ascii: "T")) || t.last == UInt8(ascii: "Z"), let v = TimestampParser.parseAbsolute(bytes: t) {
        return v
      }
      for (pattern, isDayAndTime) in zip(patterns, dayAndTime) {
        var pattern = pattern
        guard
          let local = isDayAndTime
            ? DateReader.parseDayAndTime(t) : pattern.withUTF8({ DateReader.parse(t, pattern: $0) })
        else { continue }
        if isUTC { return Timestamp(seconds: local) }
        let guess = Date(timeIntervalSince1970: TimeInterval(local))
        let offset = Int64(
          timeZone.secondsFromGMT(for: guess.addingTimeInterval(-TimeInterval(timeZone.secondsFromGMT(for: guess)))))
        return Timestamp(seconds: local - offset)
      }
      return nil
    }
  }

  static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

  /// `parse(_:pattern:)` with `yyyy-MM-dd HH:mm:ss`, ServiceNow's own format, by the position of
  /// each digit: the general parser walks the pattern for each of millions of cells.
  static func parseDayAndTime(_ t: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard t.count == 19, t[4] == 45, t[7] == 45, t[10] == 32, t[13] == 58, t[16] == 58 else { return nil }
    func digits(_ at: Int, _ count: Int) -> Int64? {
      var v: Int64 = 0
      for i in at..<(at + count) {
        guard t[i] >= 48, t[i] <= 57 else { return nil }
        v = v * 10 + Int64(t[i] - 48)
      }
      return v
    }
    guard let year = digits(0, 4), let month = digits(5, 2), let day = digits(8, 2), let hour = digits(11, 2),
      let minute = digits(14, 2), let second = digits(17, 2), (1...12).contains(month), day >= 1,
      day <= CivilDate.daysInMonth(year, month), hour < 24, minute < 60, second < 60
    else { return nil }
    return CivilDate.toDays(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
  }

  /// Wall-clock seconds since 1970 (as if UTC) of the text `t` in pattern `p`: yyyy, yy (20yy), MM, M, MMM,
  /// dd, d, HH, H, hh, h, mm, ss, a; other characters must match as they are.
  static func parse(_ t: UnsafeBufferPointer<UInt8>, pattern p: UnsafeBufferPointer<UInt8>) -> Int64? {
    var (i, j) = (0, 0)
    var year: Int64?
    var (month, day, hour, minute, second): (Int64, Int64, Int64, Int64, Int64) = (1, 1, 0, 0, 0)
    var pm: Bool?
    func number(maxDigits: Int, minDigits: Int) -> Int64? {
      var value: Int64 = 0
      var count = 0
      while i < t.count, count < maxDigits, t[i] >= 48, t[i] <= 57 {
        value = value * 10 + Int64(t[i] - 48)
        i += 1
        count += 1
      }
      return count >= minDigits ? value : nil
    }
    while j < p.count {
      var run = 1
      while j + run < p.count && p[j + run] == p[j] { run += 1 }
      switch p[j] {
      case UInt8(ascii: "y"):
        year = run == 2 ? number(maxDigits: 2, minDigits: 2).map { 2000 + $0 } : number(maxDigits: 4, minDigits: 4)
      case UInt8(ascii: "M") where run == 3:
        guard i + 3 <= t.count,
          let m = months.firstIndex(of: String(decoding: t[i..<i + 3], as: UTF8.self).lowercased())
        else { return nil }
        month = Int64(m + 1)
        i += 3
      case UInt8(ascii: "M"):
        guard let v = number(maxDigits: 2, minDigits: run) else { return nil }
        month = v
      case UInt8(ascii: "d"):
        guard let v = number(maxDigits: 2, minDigits: run) else { return nil }
        day = v
      case UInt8(ascii: "H"), UInt8(ascii: "h"):
        guard let v = number(maxDigits: 2, minDigits: run) else { return nil }
        hour = v
      case UInt8(ascii: "m"):
        guard let v = number(maxDigits: 2, minDigits: run) else { return nil }
        minute = v
      case UInt8(ascii: "s"):
        guard let v = number(maxDigits: 2, minDigits: run) else { return nil }
        second = v
      case UInt8(ascii: "a"):
        guard i + 2 <= t.count else { return nil }
        switch String(decoding: t[i..<i + 2], as: UTF8.self).uppercased() {
        case "AM": pm = false
        case "PM": pm = true
        default: return nil
        }
        i += 2
      default:
        for _ in 0..<run {
          guard i < t.count, t[i] == p[j] else { return nil }
          i += 1
        }
      }
      j += run
    }
    guard i == t.count, let year, (1...12).contains(month), (1...31).contains(day), minute < 60, second < 60 else {
      return nil
    }
    if let pm {
      guard (1...12).contains(hour) else { return nil }
      hour = hour % 12 + (pm ? 12 : 0)
    }
    guard hour < 24, day <= CivilDate.daysInMonth(year, month) else { return nil }
    return CivilDate.toDays(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
  }
}

/// Turns rows of another tool's CSV export into incident records: columns renamed by a map,
/// priorities translated, dates read in the export's format and zone, empty cells and `?`
/// left out, the other columns kept under `extra`.
public struct IncidentCSVMapping: Sendable {
  /// CSV column -> incident field.
  public let columns: [String: String]
  /// The export's priority names -> P1..P5.
  public let priorities: [String: String]
  public let dates: DateReader

  static let dateFields: Set<String> = [
    "opened_at", "acknowledged_at", "first_resolved_at", "resolved_at", "closed_at", "canceled_at", "started_at",
  ]
  static let numberFields: Set<String> = [
    "impact", "urgency", "users_affected", "reopen_count", "reassignment_count", "escalation_level",
  ]

  public init(columns: [String: String], priorities: [String: String], dates: DateReader) {
    self.columns = columns
    self.priorities = priorities
    self.dates = dates
  }

  /// Parses `A=b,C=d` (a usage error names the bad pair).
  public static func pairs(_ text: String, flag: String) throws -> [String: String] {
    var map: [String: String] = [:]
    for pair in text.split(separator: ",") {
      let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingBlanks }
      guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
        throw ITSMError.usage("\(flag): '\(pair)' is not NAME=VALUE")
      }
      map[parts[0]] = parts[1]
    }
    return map
  }

  /// Checks that every mapped column is in the header (a missing one is named).
  public func check(_ header: CSVHeader, source: String) throws {
    for column in columns.keys.sorted() where header.column([column]) == nil {
      throw ITSMError.badInputLines(["\(source):1: missing column '\(column)' (named in --map)"], more: 0)
    }
    let fields = Set(header.names.map { columns[$0] ?? $0 })
    for required in ["title", "service"] where !fields.contains(required) {
      throw ITSMError.badInputLines(
        ["\(source):1: no column gives '\(required)' (name one with --map \"Column=\(required)\")"], more: 0)
    }
  }

  /// One row as an incident record.
  public func record(_ row: CSVRow) throws -> JSONObject {
    var o = JSONObject()
    var extra = JSONObject()
    for column in row.header.names {
      guard let raw = row[column] else { continue }
      let value = raw.trimmingBlanks
      if value.isEmpty || value == "?" { continue }
      guard let field = columns[column] ?? (IncidentCSVMapping.known.contains(column) ? column : nil) else {
        extra.add(column, .string(value))
        continue
      }
      if IncidentCSVMapping.dateFields.contains(field) {
        guard let t = dates.read(value) else {
          throw RecordRejection(
            "column '\(column)': unparseable date '\(value)' (expected \(dates.patterns.joined(separator: ", ")) or RFC 3339)"
          )
        }
        o.add(field, .string(t.rfc3339))
      } else if field == "priority" {
        o.add(field, .string(priorities[value] ?? value))
      } else if IncidentCSVMapping.numberFields.contains(field), let n = Int64(value) {
        o.add(field, .int(n))
      } else {
        o.add(field, .string(value))
      }
    }
    if !extra.isEmpty { o.add("extra", .object(extra)) }
    return o
  }

  static let known: Set<String> = [
    "id", "title", "service", "status", "priority", "impact", "urgency", "team", "assignee", "tier", "region",
    "impact_type", "users_affected", "detection", "dedup_key", "root_cause", "resolution", "failure_mode",
    "opened_at", "acknowledged_at", "first_resolved_at", "resolved_at", "closed_at", "canceled_at", "started_at",
    "reopen_count", "reassignment_count", "escalation_level",
  ]
}
