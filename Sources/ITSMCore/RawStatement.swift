import Foundation
import GRDB
import GRDBSQLite

/// Binds and steps a prepared statement through the SQLite C API. The bulk paths (import,
/// export, listing) would otherwise spend most of their time boxing each value; everything
/// else goes through GRDB as usual.
struct RawStatement {
  /// Held so that GRDB does not finalize the statement while this one uses its handle.
  private let statement: Statement
  let handle: OpaquePointer
  private var index: Int32 = 1
  /// The first failed bind, reported by `execute` (binds themselves do not throw).
  private var bindFailure: Int32 = SQLITE_OK
  /// Where `bind(json:)` writes; SQLite copies the text when it is bound.
  private var scratch: [UInt8] = []
  private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

  init(_ statement: Statement) {
    self.statement = statement
    handle = statement.sqliteStatement
    sqlite3_reset(handle)
    sqlite3_clear_bindings(handle)
  }

  /// Wraps a statement whose arguments GRDB has already bound.
  init(boundStatement statement: Statement) {
    self.statement = statement
    handle = statement.sqliteStatement
  }

  private mutating func check(_ code: Int32) {
    if code != SQLITE_OK && bindFailure == SQLITE_OK { bindFailure = code }
    index += 1
  }

  mutating func bind(_ value: Int64?) {
    check(value.map { sqlite3_bind_int64(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
  }

  mutating func bind(_ value: Int?) { bind(value.map { Int64($0) }) }

  /// A Bool as SQLite keeps it (and GRDB binds it): 1 or 0.
  mutating func bind(_ value: Bool) { bind(Int64(value ? 1 : 0)) }

  mutating func bind(_ value: Double?) {
    check(value.map { sqlite3_bind_double(handle, index, $0) } ?? sqlite3_bind_null(handle, index))
  }

  mutating func bind(_ value: String?) {
    guard var value else {
      check(sqlite3_bind_null(handle, index))
      return
    }
    let code = value.withUTF8 { bytes in
      bytes.withMemoryRebound(to: CChar.self) { chars -> Int32 in
        if let base = chars.baseAddress, chars.count > 0 {
          return sqlite3_bind_text(handle, index, base, Int32(clamping: chars.count), RawStatement.transient)
        }
        return sqlite3_bind_text(handle, index, "", 0, RawStatement.transient)
      }
    }
    check(code)
  }

  /// Binds an object as its JSON text, written into a buffer this statement reuses (no String
  /// is made of it); nil or an empty object binds NULL.
  mutating func bind(json object: JSONObject?) {
    guard let object, !object.isEmpty else {
      check(sqlite3_bind_null(handle, index))
      return
    }
    scratch.removeAll(keepingCapacity: true)
    JSONSerializer.append(object, to: &scratch)
    let code = scratch.withUnsafeBufferPointer { bytes in
      bytes.withMemoryRebound(to: CChar.self) { chars in
        sqlite3_bind_text(handle, index, chars.baseAddress, Int32(clamping: chars.count), RawStatement.transient)
      }
    }
    check(code)
  }

  /// How many rows the connection's last statement changed.
  var changes: Int { Int(sqlite3_changes(sqlite3_db_handle(handle))) }

  /// Runs a statement that returns no rows.
  func execute() throws {
    if bindFailure != SQLITE_OK { throw failure(bindFailure) }
    let code = sqlite3_step(handle)
    guard code == SQLITE_DONE else { throw failure(code) }
    sqlite3_reset(handle)
  }

  /// Whether the statement returns a row (it is stepped once).
  func hasRow() throws -> Bool {
    if bindFailure != SQLITE_OK { throw failure(bindFailure) }
    defer { sqlite3_reset(handle) }
    let code = sqlite3_step(handle)
    guard code == SQLITE_ROW || code == SQLITE_DONE else { throw failure(code) }
    return code == SQLITE_ROW
  }

  /// Steps to the next row: a reader for it, or nil at the end (the statement is then reset).
  func step() throws -> ColumnReader? {
    let code = sqlite3_step(handle)
    if code == SQLITE_ROW { return ColumnReader(handle: handle) }
    sqlite3_reset(handle)
    guard code == SQLITE_DONE else { throw failure(code) }
    return nil
  }

  /// Steps through the rows, calling `body` with a reader for each.
  func forEachRow(_ body: (ColumnReader) throws -> Void) throws {
    defer { sqlite3_reset(handle) }
    while true {
      let code = sqlite3_step(handle)
      if code == SQLITE_DONE { return }
      guard code == SQLITE_ROW else { throw failure(code) }
      try body(ColumnReader(handle: handle))
    }
  }

  private func failure(_ code: Int32) -> DatabaseError {
    let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
    sqlite3_reset(handle)
    return DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
  }
}

/// Reads the columns of the current row.
struct ColumnReader {
  let handle: OpaquePointer

  func double(_ i: Int32) -> Double? {
    sqlite3_column_type(handle, i) == SQLITE_NULL ? nil : sqlite3_column_double(handle, i)
  }

  func int(_ i: Int32) -> Int64? {
    sqlite3_column_type(handle, i) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, i)
  }

  /// A column that is never NULL (NOT NULL in the schema): one call, not two.
  func int(notNull i: Int32) -> Int64 { sqlite3_column_int64(handle, i) }

  func string(_ i: Int32) -> String? {
    guard let text = sqlite3_column_text(handle, i) else { return nil }
    return String(
      decoding: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, i))), as: UTF8.self)
  }

  func time(_ i: Int32) -> Timestamp? { int(i).map(Timestamp.init(seconds:)) }

  /// The column's text as one of an enum's raw values, compared byte by byte without a
  /// String; nil for NULL or any other text.
  func choice<Value>(_ i: Int32, _ choices: ByteChoices<Value>) -> Value? {
    guard let text = sqlite3_column_text(handle, i) else { return nil }
    return choices.match(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, i))))
  }

  /// The column's UTF-8 bytes, valid until the next step; nil for NULL.
  func bytes(_ i: Int32) -> UnsafeBufferPointer<UInt8>? {
    guard let text = sqlite3_column_text(handle, i) else { return nil }
    return UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, i)))
  }
}

/// The raw values of an enum as bytes, for reading them from columns without a String each.
struct ByteChoices<Value>: Sendable where Value: RawRepresentable & CaseIterable & Sendable, Value.RawValue == String {
  private let choices: [([UInt8], Value)]

  init() { choices = Value.allCases.map { (Array($0.rawValue.utf8), $0) } }

  func match(_ bytes: UnsafeBufferPointer<UInt8>) -> Value? {
    for (raw, value) in choices where raw.count == bytes.count {
      if bytes.isEmpty || raw.withUnsafeBufferPointer({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) }) == 0
      {
        return value
      }
    }
    return nil
  }

  /// The value named by `text`.
  func match(_ text: String) -> Value? {
    var text = text
    return text.withUTF8 { match($0) }
  }
}

extension SupportTier { static let columnChoices = ByteChoices<SupportTier>() }
extension IncidentStatus { static let columnChoices = ByteChoices<IncidentStatus>() }
extension ImpactType { static let columnChoices = ByteChoices<ImpactType>() }
extension DetectionSource { static let columnChoices = ByteChoices<DetectionSource>() }

/// The rows of a statement ordered by a key (an integer, then one or two texts, as SQLite
/// orders them: bytes compared, then lengths), walked beside another walk in the same order:
/// a merge join, in which each side is read once instead of looked up once per row.
struct MergeCursor {
  private let statement: RawStatement
  private var row: ColumnReader?
  private var started = false

  init(_ statement: RawStatement) { self.statement = statement }

  /// The row whose key is `number`, if any, as `find(_:_:)`.
  mutating func find(_ number: Int64) throws -> ColumnReader? {
    try find { row in
      let n = row.int(0) ?? Int64.min
      return n == number ? 0 : (n < number ? -1 : 1)
    }
  }

  /// The row whose key is (`number`, `text`), if any; rows before it are passed over. Keys
  /// must be asked for in ascending order; the same key may be asked for again. The text is
  /// bytes as SQLite holds them (a column of the other walk's row), compared as they are.
  mutating func find(_ number: Int64, _ text: UnsafeBufferPointer<UInt8>) throws -> ColumnReader? {
    try find { row in
      let n = row.int(0) ?? Int64.min
      return n != number ? (n < number ? -1 : 1) : row.compareText(1, text)
    }
  }

  /// The row whose key is (`number`, `text`, `second`), if any, as `find(_:_:)`.
  mutating func find(_ number: Int64, _ text: UnsafeBufferPointer<UInt8>, _ second: UnsafeBufferPointer<UInt8>)
    throws -> ColumnReader?
  {
    try find { row in
      let n = row.int(0) ?? Int64.min
      if n != number { return n < number ? -1 : 1 }
      let first = row.compareText(1, text)
      return first != 0 ? first : row.compareText(2, second)
    }
  }

  /// `order(row)`: how the row's key compares with the one sought (-1, 0, 1).
  private mutating func find(_ order: (ColumnReader) -> Int) throws -> ColumnReader? {
    if !started {
      started = true
      row = try statement.step()
    }
    while let current = row {
      let o = order(current)
      if o == 0 { return current }
      if o > 0 { return nil }
      row = try statement.step()
    }
    return nil
  }
}

extension ColumnReader {
  /// How a text column compares with `bytes` in SQLite's BINARY order (NULL first).
  func compareText(_ i: Int32, _ bytes: UnsafeBufferPointer<UInt8>) -> Int {
    guard let column = sqlite3_column_text(handle, i) else { return -1 }
    let count = Int(sqlite3_column_bytes(handle, i))
    let common = min(count, bytes.count)
    let c = common == 0 ? 0 : memcmp(column, bytes.baseAddress!, common)
    if c != 0 { return c < 0 ? -1 : 1 }
    return count == bytes.count ? 0 : (count < bytes.count ? -1 : 1)
  }
}

/// Rows per statement for the bulk writers' buffers (`EventRows`, `NotificationRows`, license
/// cases, escalation states). SQLite spends a fixed time on every statement that writes a
/// table with indexes (a cursor opened and closed on each), often more than on a row itself.
let rowsPerStatement = 64

/// Writes `rows`, `rowsPerStatement` to a statement and the rest in one more, in order:
/// `prepared(n)` gives the statement for n rows, `shared` binds what they all share first,
/// `bind` each row's values. Returns how many rows SQLite changed.
@discardableResult
func writeInStatements<Rows: Collection>(
  _ rows: Rows, prepared: (Int) throws -> Statement, shared: (inout RawStatement) -> Void = { _ in },
  bind: (inout RawStatement, Rows.Element) -> Void
) throws -> Int {
  var changed = 0
  var start = rows.startIndex
  while start != rows.endIndex {
    let end = rows.index(start, offsetBy: rowsPerStatement, limitedBy: rows.endIndex) ?? rows.endIndex
    var statement = RawStatement(try prepared(rows.distance(from: start, to: end)))
    shared(&statement)
    for row in rows[start..<end] { bind(&statement, row) }
    try statement.execute()
    changed += statement.changes
    start = end
  }
  return changed
}
