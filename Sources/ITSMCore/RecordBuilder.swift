/// Receives a record's fields in order. Absent values are skipped: the contract omits them.
protocol RecordBuilder {
  mutating func string(_ key: StaticString, _ value: String?)
  mutating func int(_ key: StaticString, _ value: Int?)
  mutating func double(_ key: StaticString, _ value: Double?)
  mutating func time(_ key: StaticString, _ value: Timestamp?)
  mutating func object(_ key: StaticString, _ value: JSONObject)
}

/// Builds a `JSONObject`, for code that inspects or compares records.
struct ObjectBuilder: RecordBuilder {
  var object = JSONObject()

  init() { object.fields.reserveCapacity(40) }

  private mutating func add(_ key: StaticString, _ value: JSONValue) {
    object.fields.append(JSONField(key.description, value))
  }

  mutating func string(_ key: StaticString, _ value: String?) { if let value { add(key, .string(value)) } }
  mutating func int(_ key: StaticString, _ value: Int?) { if let value { add(key, .int(Int64(value))) } }
  mutating func double(_ key: StaticString, _ value: Double?) { if let value { add(key, .double(value)) } }
  mutating func time(_ key: StaticString, _ value: Timestamp?) { if let value { add(key, .string(value.rfc3339)) } }
  mutating func object(_ key: StaticString, _ value: JSONObject) { add(key, .object(value)) }
}

/// Writes a record straight into bytes as compact JSON followed by a newline.
struct JSONLineWriter: RecordBuilder {
  private var out: [UInt8]
  private var first = true

  init(out: [UInt8]) {
    self.out = out
    self.out.append(UInt8(ascii: "{"))
  }

  mutating func finish() -> [UInt8] {
    out.append(UInt8(ascii: "}"))
    out.append(0x0A)
    return out
  }

  private mutating func key(_ key: StaticString) {
    if !first { out.append(UInt8(ascii: ",")) }
    out.append(UInt8(ascii: "\""))
    first = false
    out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
    out.append(UInt8(ascii: "\""))
    out.append(UInt8(ascii: ":"))
  }

  mutating func string(_ k: StaticString, _ value: String?) {
    guard let value else { return }
    key(k)
    JSONSerializer.appendString(value, to: &out)
  }

  mutating func int(_ k: StaticString, _ value: Int?) {
    guard let value else { return }
    key(k)
    out.append(contentsOf: String(value).utf8)
  }

  mutating func double(_ k: StaticString, _ value: Double?) {
    guard let value else { return }
    key(k)
    JSONSerializer.appendDouble(value, to: &out)
  }

  mutating func time(_ k: StaticString, _ value: Timestamp?) {
    guard let value else { return }
    key(k)
    out.append(UInt8(ascii: "\""))
    value.appendRFC3339(to: &out)
    out.append(UInt8(ascii: "\""))
  }

  mutating func object(_ k: StaticString, _ value: JSONObject) {
    key(k)
    JSONSerializer.append(value, to: &out)
  }
}
