import Foundation

/// Parses RFC 4180 CSV: fields separated by commas, a field in double quotes may hold commas,
/// quotes (doubled) and line breaks. Rows come from a `LineReader`, so memory stays flat; a
/// quoted field that spans lines joins them again (blank lines inside it too).
public struct CSVParser {
  /// Splits one record; nil while a quoted field is still open (the record goes on).
  public static func fields(_ bytes: [UInt8]) -> [String]? {
    bytes.withUnsafeBufferPointer { fields($0) }
  }

  /// Whether a record is complete: `fields` would not return nil. Builds no fields.
  static func isComplete(_ bytes: [UInt8]) -> Bool {
    var scanner = RecordScanner()
    return scanner.scan(bytes)
  }

  /// Finds where a record ends, line by line, without scanning its start again: the quote
  /// rules of `fields`. A scan that finds the record open always ends inside a quoted field
  /// (a quote as the last byte closes it), so resuming it on more bytes is exact.
  struct RecordScanner {
    private var quoted = false
    private var atFieldStart = true
    private var index = 0

    /// Scans what was appended to `bytes` since the last call; true when the record is complete.
    mutating func scan(_ bytes: [UInt8]) -> Bool {
      while index < bytes.count {
        let byte = bytes[index]
        if quoted {
          if byte == UInt8(ascii: "\"") {
            if index + 1 < bytes.count && bytes[index + 1] == UInt8(ascii: "\"") { index += 1 } else { quoted = false }
          }
        } else if byte == UInt8(ascii: ",") {
          atFieldStart = true
          index += 1
          continue
        } else if byte == UInt8(ascii: "\"") && atFieldStart {
          quoted = true
        }
        atFieldStart = false
        index += 1
      }
      return !quoted
    }
  }

  /// `expected`: how many fields the record should have (the header's), room made for them
  /// at once.
  static func fields(_ bytes: UnsafeBufferPointer<UInt8>, expected: Int = 0) -> [String]? {
    var fields: [String] = []
    fields.reserveCapacity(expected)
    var index = 0
    let count = bytes.count
    while true {
      if index < count && bytes[index] == UInt8(ascii: "\"") {
        // A quoted field: its bytes up to the closing quote, a doubled quote as one; what
        // follows the closing quote up to the comma belongs to the field too.
        var field: [UInt8] = []
        index += 1
        var closed = false
        while index < count {
          let byte = bytes[index]
          index += 1
          if byte == UInt8(ascii: "\"") {
            if index < count && bytes[index] == UInt8(ascii: "\"") {
              field.append(byte)
              index += 1
            } else {
              closed = true
              break
            }
          } else {
            field.append(byte)
          }
        }
        if !closed { return nil }
        while index < count && bytes[index] != UInt8(ascii: ",") {
          field.append(bytes[index])
          index += 1
        }
        fields.append(String(decoding: field, as: UTF8.self))
      } else {
        // An unquoted field: its bytes as they are, quotes inside it too.
        let start = index
        while index < count && bytes[index] != UInt8(ascii: ",") { index += 1 }
        fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
      }
      guard index < count else { return fields }
      index += 1  // the comma
    }
  }

  /// Calls `body` with each record: the line it starts on, and its fields or why it is bad.
  /// The first record is the header.
  public static func forEachRecord(
    _ reader: LineReader, _ body: (Int, Result<[String], RecordRejection>, [UInt8]) throws -> Void
  ) throws {
    try forEachRawRecord(reader) { line, rejection, raw in
      if let rejection {
        try body(line, .failure(rejection), raw)
      } else {
        try body(line, .success(fields(raw)!), raw)
      }
    }
  }

  /// Calls `body` with each record's bytes, not split into fields (or why it is bad), and
  /// the line it starts on: finding where records end is cheap; splitting them can then
  /// happen elsewhere.
  static func forEachRawRecord(
    _ reader: LineReader, _ body: (Int, RecordRejection?, [UInt8]) throws -> Void
  ) throws {
    var pending: [UInt8] = []
    var scanner = RecordScanner()
    var startLine = 0
    // Inside a quoted field a blank line, spaces and all, is part of the value.
    try reader.forEachLine(keepingBlankLines: true) { number, line in
      guard case .text(let text) = line else {
        if !pending.isEmpty {
          try body(startLine, RecordRejection("a quoted field is not closed"), pending)
          pending = []
          scanner = RecordScanner()
        }
        try body(number, RecordRejection("line is longer than the limit"), [])
        return
      }
      if pending.isEmpty {
        // Between records, a blank line is no record.
        if text.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return }
        startLine = number
      } else {
        // The reader strips line ends: inside a quoted field, the line end was text.
        pending.append(UInt8(ascii: "\n"))
      }
      pending.append(contentsOf: text)
      if scanner.scan(pending) {
        try body(startLine, nil, pending)
        pending.removeAll(keepingCapacity: true)
        scanner = RecordScanner()
      } else if pending.count > reader.maximumLineLength {
        // A quote never closed would otherwise hold the rest of the input: memory stays flat.
        try body(
          startLine,
          RecordRejection(
            "a quoted field is not closed within \(reader.maximumLineLength) bytes (the record is refused there)"),
          [])
        pending.removeAll(keepingCapacity: true)
        scanner = RecordScanner()
      }
    }
    if !pending.isEmpty {
      try body(startLine, RecordRejection("a quoted field is not closed before the end of the input"), pending)
    }
  }
}

/// A CSV header: the column of each name, and rows read by name.
public struct CSVHeader: Sendable {
  public let names: [String]
  let index: [String: Int]
  /// Each name once (its first column, as a lookup by name finds it), in name order.
  public let sortedColumns: [(name: String, index: Int)]

  public init(_ names: [String]) {
    self.names = names.map { $0.trimmingBlanks }
    var index: [String: Int] = [:]
    for (i, name) in self.names.enumerated() where index[name] == nil { index[name] = i }
    self.index = index
    sortedColumns = index.map { (name: $0.key, index: $0.value) }.sorted { $0.name < $1.name }
  }

  /// The first of `candidates` that is a column; nil when none is.
  public func column(_ candidates: [String]) -> Int? { candidates.lazy.compactMap { index[$0] }.first }

  /// A row of cells read by this header; a row whose cell count differs from the header's is
  /// refused.
  public func row(_ cells: [String]) throws -> CSVRow {
    guard cells.count == names.count else {
      throw RecordRejection("the row has \(cells.count) cells, the header \(names.count)")
    }
    return CSVRow(header: self, cells: cells)
  }
}

/// One CSV row: its cells by column number, or by name (the first column of a name).
public struct CSVRow: Sendable {
  public let header: CSVHeader
  public let cells: [String]

  /// The cell of the column named `name`; nil when there is no such column.
  public subscript(name: String) -> String? { header.index[name].map { cells[$0] } }

  /// Each column name once with its cell, in name order.
  public var sortedByName: [(name: String, value: String)] {
    header.sortedColumns.map { (name: $0.name, value: cells[$0.index]) }
  }
}

extension String {
  /// Without leading and trailing spaces and tabs. Cells rarely have any, and Foundation's
  /// `trimmingCharacters` bridges to NSString on every call: it took most of an import's time.
  /// The bytes are read in place, and the string is not converted generically: a
  /// `String.UTF8View` walked by index, and `String(_:)` of a `StringProtocol` (a dynamic
  /// cast), cost a ServiceNow import a tenth of its decoding time.
  public var trimmingBlanks: String {
    var text = self
    let trimmed = text.withUTF8 { bytes -> String? in
      var (start, end) = (0, bytes.count)
      while start < end, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
      while end > start, bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09 { end -= 1 }
      guard start > 0 || end < bytes.count else { return nil }
      return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
    return trimmed ?? text
  }
}

extension Substring {
  public var trimmingBlanks: String { String(self).trimmingBlanks }
}
