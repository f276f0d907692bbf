import Foundation

/// A JSON value with object keys kept in order, so that records print in a stable shape and
/// unknown keys survive a round trip.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  case object(JSONObject)

  /// The name of the JSON type, for error messages.
  public var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "boolean"
    case .int, .double: return "number"
    case .string: return "string"
    case .array: return "array"
    case .object: return "object"
    }
  }
}

/// One key and its value inside a `JSONObject`.
public struct JSONField: Equatable, Sendable {
  public var key: String
  public var value: JSONValue
  public init(_ key: String, _ value: JSONValue) {
    self.key = key
    self.value = value
  }
}

/// A JSON object as an ordered list of fields.
public struct JSONObject: Equatable, Sendable {
  public var fields: [JSONField]

  public init(_ fields: [JSONField] = []) { self.fields = fields }

  public var isEmpty: Bool { fields.isEmpty }

  public subscript(key: String) -> JSONValue? {
    get { fields.first(where: { $0.key == key })?.value }
    set {
      if let index = fields.firstIndex(where: { $0.key == key }) {
        if let newValue { fields[index].value = newValue } else { fields.remove(at: index) }
      } else if let newValue {
        fields.append(JSONField(key, newValue))
      }
    }
  }

  /// Appends a field unless the value is nil: absent values are omitted, never written empty.
  public mutating func add(_ key: String, _ value: JSONValue?) {
    if let value { fields.append(JSONField(key, value)) }
  }
}

/// A syntax error inside one JSON text, with the byte column where it was found.
public struct JSONSyntaxError: Error, Equatable {
  public var message: String
  public var column: Int
  public var description: String { "invalid JSON at column \(column): \(message)" }
}

/// A strict RFC 8259 parser over UTF-8 bytes. It validates UTF-8 inside strings, limits
/// nesting depth so hostile input cannot exhaust the stack, and never allocates for
/// whitespace or punctuation.
public struct JSONParser {
  public static let maximumDepth = 512

  private let bytes: UnsafeBufferPointer<UInt8>
  private var index = 0
  private var depth = 0

  private init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

  /// Parses exactly one JSON value; trailing non-space bytes are an error.
  public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws -> JSONValue {
    var parser = JSONParser(bytes)
    parser.skipSpace()
    let value = try parser.parseValue()
    parser.skipSpace()
    if parser.index < bytes.count {
      throw parser.error("unexpected data after the JSON value")
    }
    return value
  }

  /// Parses exactly one JSON object, handing its fields to `sink` as they come instead of
  /// making an object of them. Any other JSON value is refused as a record ("expected a JSON
  /// object"); a syntax error anywhere is thrown before that, as with `parse`.
  static func parseObject<Sink: JSONFieldSink>(_ bytes: UnsafeBufferPointer<UInt8>, into sink: inout Sink) throws {
    var parser = JSONParser(bytes)
    parser.skipSpace()
    guard parser.index < bytes.count, bytes[parser.index] == UInt8(ascii: "{") else {
      let value = try parse(bytes)
      throw RecordRejection("expected a JSON object, got \(value.typeName)")
    }
    try parser.parseObject(into: &sink)
    parser.skipSpace()
    if parser.index < bytes.count {
      throw parser.error("unexpected data after the JSON value")
    }
  }

  public static func parse(_ text: String) throws -> JSONValue {
    var text = text
    return try text.withUTF8 { try parse($0) }
  }

  private func error(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(message: message, column: index + 1)
  }

  private mutating func skipSpace() {
    while index < bytes.count {
      switch bytes[index] {
      case 0x20, 0x09, 0x0A, 0x0D: index += 1
      default: return
      }
    }
  }

  private mutating func parseValue() throws -> JSONValue {
    guard index < bytes.count else { throw error("unexpected end of input") }
    switch bytes[index] {
    case UInt8(ascii: "{"): return .object(try parseObject())
    case UInt8(ascii: "["): return try parseArray()
    case UInt8(ascii: "\""): return .string(try parseString())
    case UInt8(ascii: "t"):
      try expectWord("true")
      return .bool(true)
    case UInt8(ascii: "f"):
      try expectWord("false")
      return .bool(false)
    case UInt8(ascii: "n"):
      try expectWord("null")
      return .null
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
    default: throw error("unexpected character '\(printable(bytes[index]))'")
    }
  }

  private func printable(_ byte: UInt8) -> String {
    byte >= 0x20 && byte < 0x7F ? String(UnicodeScalar(byte)) : String(format: "\\x%02X", byte)
  }

  private mutating func expectWord(_ word: String) throws {
    let expected = Array(word.utf8)
    let count = expected.count
    guard index + count <= bytes.count else { throw error("unexpected end of input") }
    for i in 0..<count where bytes[index + i] != expected[i] {
      throw error("unexpected character '\(printable(bytes[index + i]))'")
    }
    index += count
  }

  private mutating func enter() throws {
    depth += 1
    if depth > JSONParser.maximumDepth {
      throw error("nested deeper than \(JSONParser.maximumDepth) levels")
    }
  }

  private mutating func parseObject() throws -> JSONObject {
    var object = JSONObject()
    try parseObject(into: &object)
    return object
  }

  private mutating func parseObject<Sink: JSONFieldSink>(into object: inout Sink) throws {
    try enter()
    index += 1
    skipSpace()
    if index < bytes.count && bytes[index] == UInt8(ascii: "}") {
      index += 1
      depth -= 1
      return
    }
    while true {
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
        throw error(index < bytes.count ? "expected a quoted key" : "unexpected end of input")
      }
      let (key, number) = try parseKey()
      skipSpace()
      guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
        throw error("expected ':' after key \"\(key)\"")
      }
      index += 1
      skipSpace()
      if let number, object.takesTime(number: number), let time = parseTime() {
        object.appendField(key, number: number, time: time)
      } else {
        object.appendField(key, number: number, try parseValue())
      }
      skipSpace()
      guard index < bytes.count else { throw error("unexpected end of input") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "}") {
        index += 1
        depth -= 1
        return
      } else {
        throw error("expected ',' or '}'")
      }
    }
  }

  private mutating func parseArray() throws -> JSONValue {
    try enter()
    index += 1
    var items: [JSONValue] = []
    skipSpace()
    if index < bytes.count && bytes[index] == UInt8(ascii: "]") {
      index += 1
      depth -= 1
      return .array(items)
    }
    while true {
      skipSpace()
      items.append(try parseValue())
      skipSpace()
      guard index < bytes.count else { throw error("unexpected end of input") }
      if bytes[index] == UInt8(ascii: ",") {
        index += 1
      } else if bytes[index] == UInt8(ascii: "]") {
        index += 1
        depth -= 1
        return .array(items)
      } else {
        throw error("expected ',' or ']'")
      }
    }
  }

  /// A key: one of the known record keys is the same String each time (no copy of its bytes
  /// to make, nor to free), any other is parsed as a string.
  private mutating func parseKey() throws -> (String, Int?) {
    let start = index + 1
    var end = start
    while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] < 0x80,
      bytes[end] >= 0x20
    {
      end += 1
    }
    if end < bytes.count, bytes[end] == UInt8(ascii: "\""),
      let number = JSONKeys.number(of: UnsafeBufferPointer(rebasing: bytes[start..<end]))
    {
      index = end + 1
      return (JSONKeys.names[number], number)
    }
    return (try parseString(), nil)
  }

  /// A string value that is an RFC 3339 time, read as the time: no String is made of it.
  /// Nil, with nothing consumed, for anything else (`parseValue` then reads it as usual).
  private mutating func parseTime() -> Timestamp? {
    guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { return nil }
    var end = index + 1
    while end < bytes.count, bytes[end] != UInt8(ascii: "\""), bytes[end] != UInt8(ascii: "\\"), bytes[end] >= 0x20,
      bytes[end] < 0x80
    {
      end += 1
    }
    guard end < bytes.count, bytes[end] == UInt8(ascii: "\""),
      let time = TimestampParser.parseAbsolute(bytes: UnsafeBufferPointer(rebasing: bytes[(index + 1)..<end]))
    else { return nil }
    index = end + 1
    return time
  }

  private mutating func parseString() throws -> String {
    index += 1
    let start = index
    var sawHighByte = false
    while index < bytes.count {
      let c = bytes[index]
      if c == UInt8(ascii: "\"") {
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        index += 1
        if !sawHighByte { return String(decoding: slice, as: UTF8.self) }
        guard let s = String(validating: slice, as: UTF8.self) else {
          index = start + JSONParser.firstInvalidUTF8(slice)
          throw error("invalid UTF-8 in a string")
        }
        return s
      }
      if c == UInt8(ascii: "\\") { return try parseEscapedString(from: start) }
      if c < 0x20 { throw error("control character in a string (escape it)") }
      if c >= 0x80 { sawHighByte = true }
      index += 1
    }
    throw error("unterminated string")
  }

  private mutating func parseEscapedString(from start: Int) throws -> String {
    var out: [UInt8] = Array(UnsafeBufferPointer(rebasing: bytes[start..<index]))
    while index < bytes.count {
      let c = bytes[index]
      if c == UInt8(ascii: "\"") {
        index += 1
        guard let s = String(validating: out, as: UTF8.self) else {
          throw error("invalid UTF-8 in a string")
        }
        return s
      }
      if c < 0x20 { throw error("control character in a string (escape it)") }
      if c != UInt8(ascii: "\\") {
        out.append(c)
        index += 1
        continue
      }
      index += 1
      guard index < bytes.count else { break }
      let e = bytes[index]
      index += 1
      switch e {
      case UInt8(ascii: "\""): out.append(0x22)
      case UInt8(ascii: "\\"): out.append(0x5C)
      case UInt8(ascii: "/"): out.append(0x2F)
      case UInt8(ascii: "b"): out.append(0x08)
      case UInt8(ascii: "f"): out.append(0x0C)
      case UInt8(ascii: "n"): out.append(0x0A)
      case UInt8(ascii: "r"): out.append(0x0D)
      case UInt8(ascii: "t"): out.append(0x09)
      case UInt8(ascii: "u"):
        var scalar = try parseHex4()
        if (0xD800..<0xDC00).contains(scalar) {
          guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
            bytes[index + 1] == UInt8(ascii: "u")
          else { throw error("unpaired surrogate in \\u escape") }
          index += 2
          let low = try parseHex4()
          guard (0xDC00..<0xE000).contains(low) else { throw error("unpaired surrogate in \\u escape") }
          scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00..<0xE000).contains(scalar) {
          throw error("unpaired surrogate in \\u escape")
        }
        out.append(contentsOf: Array(String(UnicodeScalar(scalar)!).utf8))
      default:
        index -= 1
        throw error("invalid escape '\\\(printable(e))'")
      }
    }
    throw error("unterminated string")
  }

  private mutating func parseHex4() throws -> UInt32 {
    guard index + 4 <= bytes.count else { throw error("unexpected end of input in \\u escape") }
    var v: UInt32 = 0
    for _ in 0..<4 {
      let c = bytes[index]
      let digit: UInt8
      switch c {
      case 48...57: digit = c - 48
      case 65...70: digit = c - 55
      case 97...102: digit = c - 87
      default: throw error("invalid hex digit in \\u escape")
      }
      v = v << 4 | UInt32(digit)
      index += 1
    }
    return v
  }

  private mutating func parseNumber() throws -> JSONValue {
    let start = index
    var isInteger = true
    if bytes[index] == UInt8(ascii: "-") { index += 1 }
    guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
    } else {
      while index < bytes.count && isDigit(bytes[index]) { index += 1 }
    }
    if index < bytes.count && bytes[index] == UInt8(ascii: ".") {
      isInteger = false
      index += 1
      guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
      while index < bytes.count && isDigit(bytes[index]) { index += 1 }
    }
    if index < bytes.count && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
      isInteger = false
      index += 1
      if index < bytes.count && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
        index += 1
      }
      guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
      while index < bytes.count && isDigit(bytes[index]) { index += 1 }
    }
    let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    if isInteger, let v = Int64(text) { return .int(v) }
    guard let d = Double(text), d.isFinite else {
      index = start
      throw error("number out of range")
    }
    return .double(d)
  }

  private func isDigit(_ c: UInt8) -> Bool { c >= 48 && c <= 57 }

  /// The offset of the first byte that does not start or continue a valid UTF-8 sequence.
  static func firstInvalidUTF8(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    var i = 0
    while i < bytes.count {
      let lead = bytes[i]
      let length =
        lead < 0x80
        ? 1 : lead >= 0xC2 && lead < 0xE0 ? 2 : lead >= 0xE0 && lead < 0xF0 ? 3 : lead >= 0xF0 && lead < 0xF5 ? 4 : 0
      guard length > 0, i + length <= bytes.count,
        String(validating: UnsafeBufferPointer(rebasing: bytes[i..<(i + length)]), as: UTF8.self) != nil
      else { return i }
      i += length
    }
    return i
  }
}

/// Appends compact JSON to a byte buffer. Non-finite numbers become null, since JSON has none.
public struct JSONSerializer {
  public static func append(_ value: JSONValue, to out: inout [UInt8]) {
    switch value {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .int(let i): out.append(contentsOf: String(i).utf8)
    case .double(let d): appendDouble(d, to: &out)
    case .string(let s): appendString(s, to: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        append(item, to: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let object): append(object, to: &out)
    }
  }

  public static func append(_ object: JSONObject, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "{"))
    for (i, field) in object.fields.enumerated() {
      if i > 0 { out.append(UInt8(ascii: ",")) }
      appendString(field.key, to: &out)
      out.append(UInt8(ascii: ":"))
      append(field.value, to: &out)
    }
    out.append(UInt8(ascii: "}"))
  }

  static func appendDouble(_ d: Double, to out: inout [UInt8]) {
    guard d.isFinite else {
      out.append(contentsOf: "null".utf8)
      return
    }
    if d == d.rounded(), abs(d) < 1e15 {
      out.append(contentsOf: String(Int64(d)).utf8)
      out.append(contentsOf: ".0".utf8)
    } else {
      out.append(contentsOf: d.description.utf8)
    }
  }

  private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

  public static func appendString(_ s: String, to out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    var text = s
    let plain = text.withUTF8 { bytes -> Bool in
      for c in bytes where c < 0x20 || c == 0x22 || c == 0x5C { return false }
      out.append(contentsOf: bytes)
      return true
    }
    if plain {
      out.append(UInt8(ascii: "\""))
      return
    }
    for c in s.utf8 {
      switch c {
      case 0x22:
        out.append(0x5C)
        out.append(0x22)
      case 0x5C:
        out.append(0x5C)
        out.append(0x5C)
      case 0x0A:
        out.append(0x5C)
        out.append(UInt8(ascii: "n"))
      case 0x0D:
        out.append(0x5C)
        out.append(UInt8(ascii: "r"))
      case 0x09:
        out.append(0x5C)
        out.append(UInt8(ascii: "t"))
      case 0..<0x20:
        out.append(contentsOf: "\\u00".utf8)
        out.append(hex[Int(c >> 4)])
        out.append(hex[Int(c & 0xF)])
      default: out.append(c)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  public static func string(_ value: JSONValue) -> String {
    var out: [UInt8] = []
    append(value, to: &out)
    return String(decoding: out, as: UTF8.self)
  }

  public static func string(_ object: JSONObject) -> String { string(.object(object)) }
}

extension JSONObject {
  /// `{"field": {"before": ..., "after": ...}}` for each field that differs from `after`: the
  /// data of an `updated` event.
  public func changes(to after: JSONObject) -> JSONObject {
    var keys: [String] = []
    for field in fields + after.fields where !keys.contains(field.key) { keys.append(field.key) }
    var changes = JSONObject()
    for key in keys where self[key] != after[key] {
      changes.add(
        key, .object(JSONObject([JSONField("before", self[key] ?? .null), JSONField("after", after[key] ?? .null)])))
    }
    return changes
  }
}

/// The keys records use most, found by their bytes without making a String: by length and
/// first byte, then compared. A key's number is its place in `names`, where the incident
/// keys come first, in slot order (`IncidentKey.ordered`).
enum JSONKeys {
  static let names: [String] = {
    var names = IncidentKey.names
    for key in [
      "type", "at", "seq", "entity", "entity_id", "actor", "source", "data", "account", "app", "sku",
      "last_active_at", "observed_at", "email", "name", "manager", "department", "hr_status", "hired_at",
      "departed_at", "since",
    ] where !names.contains(key) {
      names.append(key)
    }
    return names
  }()

  private static let buckets: [[(bytes: [UInt8], number: Int)]] = {
    var buckets = [[(bytes: [UInt8], number: Int)]](repeating: [], count: 64 * 32)
    for (number, key) in names.enumerated() {
      let bytes = Array(key.utf8)
      buckets[bucket(bytes.count, bytes[0])].append((bytes, number))
    }
    return buckets
  }()

  private static func bucket(_ count: Int, _ first: UInt8) -> Int { (count & 63) * 32 + Int(first & 31) }

  /// The number of a known key; nil for any other.
  static func number(of bytes: UnsafeBufferPointer<UInt8>) -> Int? {
    guard let first = bytes.first, bytes.count < 64 else { return nil }
    for candidate in buckets[bucket(bytes.count, first)]
    where candidate.bytes.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
      return candidate.number
    }
    return nil
  }
}

/// Takes the fields of a JSON object in order, as the parser reads them, each key with its
/// number when it is one of `JSONKeys`.
protocol JSONFieldSink {
  mutating func appendField(_ key: String, number: Int?, _ value: JSONValue)
  /// Whether the key with this number holds a time that the sink takes as a time: the parser
  /// then hands over a string value that is an RFC 3339 time as `appendField(_:number:time:)`.
  func takesTime(number: Int) -> Bool
  mutating func appendField(_ key: String, number: Int, time: Timestamp)
}

extension JSONFieldSink {
  func takesTime(number: Int) -> Bool { false }
  mutating func appendField(_ key: String, number: Int, time: Timestamp) {
    appendField(key, number: number, .string(time.rfc3339))
  }
}

extension JSONObject: JSONFieldSink {
  mutating func appendField(_ key: String, number: Int?, _ value: JSONValue) {
    fields.append(JSONField(key, value))
  }
}
