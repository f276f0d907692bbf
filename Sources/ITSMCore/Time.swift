import Foundation

/// A point in time as whole seconds since the Unix epoch, UTC.
///
/// itsm stores and compares instants as integers: they sort, subtract and index cheaply, and
/// RFC 3339 text is produced only at the edges.
public struct Timestamp: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var seconds: Int64

  public init(seconds: Int64) { self.seconds = seconds }

  /// The instants that RFC 3339 can write: the years 0000 to 9999.
  public static let supportedRange: ClosedRange<Int64> = -62_167_219_200...253_402_300_799

  public init(_ date: Date) { self.seconds = Int64(date.timeIntervalSince1970.rounded(.down)) }

  public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.seconds < rhs.seconds }

  /// Minutes from `earlier` to `self` (negative when `earlier` is later).
  public func minutes(since earlier: Timestamp) -> Double {
    Double(seconds - earlier.seconds) / 60
  }

  /// RFC 3339 in UTC with a `Z`, the only way itsm writes a timestamp.
  public var description: String { rfc3339 }

  public var rfc3339: String {
    String(unsafeUninitializedCapacity: 20) { b in
      writeRFC3339(to: b)
      return 20
    }
  }

  /// Appends the 20 bytes of `YYYY-MM-DDTHH:MM:SSZ`.
  public func appendRFC3339(to bytes: inout [UInt8]) {
    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { b in
      writeRFC3339(to: b)
      bytes.append(contentsOf: UnsafeBufferPointer(b))
    }
  }

  /// Writes the 20 bytes of `YYYY-MM-DDTHH:MM:SSZ` at the start of `b`.
  private func writeRFC3339(to b: UnsafeMutableBufferPointer<UInt8>) {
    let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
    let secondOfDay = seconds - days * 86_400
    let (y, m, d) = CivilDate.fromDays(days)
    do {
      func two(_ value: Int64, _ at: Int) {
        b[at] = UInt8(48 + value / 10)
        b[at + 1] = UInt8(48 + value % 10)
      }
      let year = max(0, min(9999, y))
      two(year / 100, 0)
      two(year % 100, 2)
      b[4] = 45
      two(m, 5)
      b[7] = 45
      two(d, 8)
      b[10] = 84
      two(secondOfDay / 3600, 11)
      b[13] = 58
      two((secondOfDay % 3600) / 60, 14)
      b[16] = 58
      two(secondOfDay % 60, 17)
      b[19] = 90
    }
  }
}

/// Days-from-civil conversions (proleptic Gregorian), after Howard Hinnant's algorithms.
enum CivilDate {
  static func toDays(_ year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yoe = y - era * 400
    let mp = (month + 9) % 12
    let doy = (153 * mp + 2) / 5 + day - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  static func fromDays(_ days: Int64) -> (Int64, Int64, Int64) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
  }

  static func daysInMonth(_ year: Int64, _ month: Int64) -> Int64 {
    switch month {
    case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }
}

/// Parses the timestamps the contract accepts as input.
public enum TimestampParser {
  /// Parses RFC 3339 with any offset (fractions of a second are dropped) or a plain
  /// `YYYY-MM-DD` date (midnight UTC). Returns nil for anything else.
  public static func parseAbsolute(_ text: String) -> Timestamp? {
    var text = text
    return text.withUTF8 { parseAbsolute(bytes: $0) }
  }

  /// Parses an absolute timestamp, `now`, or a time relative to `now` (`-2h`, `+30m`, `-7d`).
  public static func parse(_ text: String, now: Timestamp) throws -> Timestamp {
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    if trimmed.lowercased() == "now" { return now }
    if let first = trimmed.first, first == "-" || first == "+" {
      let duration = try DurationValue.parse(String(trimmed.dropFirst()))
      let (value, overflow) =
        first == "-"
        ? now.seconds.subtractingReportingOverflow(duration.seconds)
        : now.seconds.addingReportingOverflow(duration.seconds)
      guard !overflow, Timestamp.supportedRange.contains(value) else {
        throw ITSMError.invalidValue("'\(text)' is outside the years 0000 to 9999")
      }
      return Timestamp(seconds: value)
    }
    if let value = parseAbsolute(trimmed) { return value }
    throw ITSMError.invalidValue(
      "invalid timestamp '\(text)' (expected RFC 3339 such as 2026-11-01T09:30:00Z, a date, 'now' or -2h)"
    )
  }

  static func parseAbsolute(bytes b: UnsafeBufferPointer<UInt8>) -> Timestamp? {
    let n = b.count
    func digits(_ at: Int, _ count: Int) -> Int64? {
      guard at + count <= n else { return nil }
      var v: Int64 = 0
      for i in at..<(at + count) {
        let c = b[i]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
      }
      return v
    }
    guard n >= 10, let year = digits(0, 4), b[4] == 45, let month = digits(5, 2), b[7] == 45,
      let day = digits(8, 2), (1...12).contains(month), day >= 1,
      day <= CivilDate.daysInMonth(year, month)
    else { return nil }
    let dayStart = CivilDate.toDays(year, month, day) * 86_400
    if n == 10 { return Timestamp(seconds: dayStart) }
    guard n >= 20, b[10] == 84 || b[10] == 116 || b[10] == 32, let hh = digits(11, 2), b[13] == 58,
      let mm = digits(14, 2), b[16] == 58, let ss = digits(17, 2), hh < 24, mm < 60, ss < 61
    else { return nil }
    var i = 19
    if b[i] == 46 || b[i] == 44 {
      i += 1
      let start = i
      while i < n && b[i] >= 48 && b[i] <= 57 { i += 1 }
      guard i > start else { return nil }
    }
    guard i < n else { return nil }
    var offset: Int64 = 0
    switch b[i] {
    case 90, 122:
      i += 1
    case 43, 45:
      guard let oh = digits(i + 1, 2), i + 3 < n, b[i + 3] == 58, let om = digits(i + 4, 2), oh < 24,
        om < 60
      else { return nil }
      offset = (oh * 3600 + om * 60) * (b[i] == 45 ? -1 : 1)
      i += 6
    default:
      return nil
    }
    guard i == n else { return nil }
    return Timestamp(seconds: dayStart + hh * 3600 + mm * 60 + min(ss, 59) - offset)
  }
}

/// A length of time in whole seconds, written `45s`, `90m`, `2h`, `1d12h` or `2w`.
public struct DurationValue: Hashable, Comparable, Sendable, CustomStringConvertible {
  public var seconds: Int64

  public init(seconds: Int64) { self.seconds = seconds }

  public static func < (lhs: DurationValue, rhs: DurationValue) -> Bool {
    lhs.seconds < rhs.seconds
  }

  /// Parses `45s`, `90m`, `2h`, `1d12h`, `2w` (units w, d, h, m, s, each at most once, in that
  /// order). A bare number is refused: the unit is never guessed.
  public static func parse(_ text: String) throws -> DurationValue {
    let units: [(Character, Int64)] = [("w", 604_800), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
    var total: Int64 = 0
    var number: Int64? = nil
    var nextUnit = 0
    let invalid = ITSMError.invalidValue(
      "invalid duration '\(text)' (expected a number with a unit: 45s, 90m, 2h, 1d12h, 2w)")
    for ch in text.trimmingCharacters(in: .whitespaces).lowercased() {
      if let digit = ch.wholeNumberValue, ch.isASCII {
        let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
        let (v, o2) = m.addingReportingOverflow(Int64(digit))
        guard !o1, !o2 else { throw invalid }
        number = v
      } else if let index = units[nextUnit...].firstIndex(where: { $0.0 == ch }), let n = number {
        let (product, o1) = n.multipliedReportingOverflow(by: units[index].1)
        let (sum, o2) = total.addingReportingOverflow(product)
        guard !o1, !o2 else { throw invalid }
        total = sum
        number = nil
        nextUnit = index + 1
      } else {
        throw invalid
      }
    }
    guard number == nil, nextUnit > 0 else { throw invalid }
    return DurationValue(seconds: total)
  }

  /// Human-friendly form for tables: `1h 30m`, `2d 4h`, `45s`.
  public var description: String {
    if seconds == 0 { return "0m" }
    var rest = abs(seconds)
    var parts: [String] = []
    for (unit, size) in [("d", Int64(86_400)), ("h", 3600), ("m", 60)] where rest >= size {
      parts.append("\(rest / size)\(unit)")
      rest %= size
      if parts.count == 2 { break }
    }
    if parts.isEmpty { parts.append("\(rest)s") }
    return (seconds < 0 ? "-" : "") + parts.joined(separator: " ")
  }
}
