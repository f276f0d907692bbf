import Foundation

/// Why one input record was refused; it becomes `SOURCE:LINE: reason`.
public struct RecordRejection: Error, Equatable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
}

/// What a run over an input stream did.
public struct RecordCounts: Equatable, Sendable {
  public var read = 0
  public var rejected = 0
  public init() {}
}

/// Feeds the records of a JSON Lines stream through a pure `decode` step and an `apply` step
/// that writes, with the contract's bad-input rules: by default the first bad line stops all
/// writing (the caller's transaction is rolled back) while the rest of the input is still
/// checked, so that one run reports up to `maximumReported` bad lines; with `skipInvalid` each
/// bad line goes to `onReject` and the valid ones are applied.
public struct RecordStream {
  public var skipInvalid = false
  public var maximumReported = 20

  public init(skipInvalid: Bool = false) { self.skipInvalid = skipInvalid }

  public func run<T>(
    _ reader: LineReader,
    beforeWaiting: () throws -> Void = {},
    decode: (JSONObject) throws -> T,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> RecordCounts {
    var counts = RecordCounts()
    var messages: [String] = []
    var unreported = 0
    var firstLineHint: String?
    try reader.forEachLine(beforeWaiting: beforeWaiting) { number, line in
      counts.read += 1
      var reason: String
      var bytes = UnsafeBufferPointer<UInt8>(start: nil, count: 0)
      switch line {
      case .tooLong(let size):
        reason = "line is \(size) bytes, longer than the limit of \(LineReader.defaultMaximumLineLength) bytes"
      case .text(let text):
        bytes = text
        do {
          let parsed = try JSONParser.parse(text)
          guard case .object(let object) = parsed else {
            throw RecordRejection("expected a JSON object, got \(parsed.typeName)")
          }
          let value = try decode(object)
          if messages.isEmpty { try apply(value, number) }
          return
        } catch let error as JSONSyntaxError {
          reason = error.description
          if counts.read == 1 { firstLineHint = RecordStream.hint(for: text) }
        } catch let error as RecordRejection {
          reason = error.reason
        }
        if counts.read == 1, firstLineHint == nil, text.first == UInt8(ascii: "[") {
          firstLineHint = RecordStream.hint(for: text)
        }
      }
      if let hint = firstLineHint, counts.read == 1 { reason += hint }
      counts.rejected += 1
      if skipInvalid {
        try onReject(number, reason, bytes)
      } else if messages.count < maximumReported {
        messages.append("\(reader.sourceName):\(number): \(reason)")
      } else {
        unreported += 1
      }
    }
    if !messages.isEmpty { throw ITSMError.badInputLines(messages, more: unreported) }
    return counts
  }

  static func hint(for line: UnsafeBufferPointer<UInt8>) -> String? {
    let trimmed = line.filter { $0 != 0x20 && $0 != 0x09 }
    guard trimmed.first == UInt8(ascii: "[") || trimmed == [UInt8(ascii: "{")] else { return nil }
    return " (this looks like a JSON array or pretty-printed JSON; itsm reads JSON Lines, one object per line: try jq -c '.[]')"
  }
}

/// Typed reads of record fields with messages that name the field.
public struct RecordFields {
  public let object: JSONObject
  private let values: [String: JSONValue]

  public init(_ object: JSONObject) {
    self.object = object
    var values: [String: JSONValue] = [:]
    values.reserveCapacity(object.fields.count)
    for field in object.fields { values[field.key] = field.value }
    self.values = values
  }

  public subscript(key: String) -> JSONValue? { values[key] }

  public func string(_ key: String, required: Bool = false) throws -> String? {
    switch values[key] {
    case nil, .null?:
      if required { throw RecordRejection("missing required field '\(key)'") }
      return nil
    case .string(let s)?:
      if s.isEmpty {
        if required { throw RecordRejection("'\(key)' must not be empty") }
        return nil
      }
      return s
    case let other?:
      throw RecordRejection("'\(key)' must be a string, got \(other.typeName)")
    }
  }

  public func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int? {
    switch values[key] {
    case nil, .null?: return nil
    case .int(let v)?:
      guard range.contains(v) else {
        throw RecordRejection("'\(key)' must be \(range.lowerBound) to \(range.upperBound), got \(v)")
      }
      return Int(v)
    case .double(let d)?:
      throw RecordRejection("'\(key)' must be a whole number, got \(d)")
    case let other?:
      throw RecordRejection("'\(key)' must be a number, got \(other.typeName)")
    }
  }

  public func timestamp(_ key: String) throws -> Timestamp? {
    guard let text = try string(key) else { return nil }
    guard let t = TimestampParser.parseAbsolute(text) else {
      throw RecordRejection("'\(key)': unparseable timestamp '\(text)' (expected RFC 3339, such as 2026-11-01T09:30:00Z)")
    }
    return t
  }

  public func choice<T: RawRepresentable>(_ key: String, _ type: T.Type, names: [String]) throws -> T?
  where T.RawValue == String {
    guard let text = try string(key) else { return nil }
    guard let value = T(rawValue: text) else {
      throw RecordRejection("unknown \(key) '\(text)' (expected \(names.joined(separator: ", ")))")
    }
    return value
  }
}
