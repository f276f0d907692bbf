import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// Thrown when stdout's reader has gone away (`| head`): the tool ends quietly with exit 0.
public struct OutputClosed: Error {}

/// The one writer of stdout. Records are buffered and written in blocks; the buffer is flushed
/// whenever the tool is about to wait for input and at the end, so a finished record never
/// waits in the buffer while the tool is idle.
public final class StandardOutput {
  private var buffer: [UInt8] = []
  private let fd: Int32
  private let blockSize = 1 << 16

  public init(fd: Int32 = STDOUT_FILENO) {
    self.fd = fd
    buffer.reserveCapacity(blockSize * 2)
  }

  public func append(_ bytes: [UInt8]) throws {
    buffer.append(contentsOf: bytes)
    if buffer.count >= blockSize { try flush() }
  }

  public func append(_ text: String) throws { try append(Array(text.utf8)) }

  /// Appends bytes that already hold a whole record line.
  public func appendLine(_ build: (inout [UInt8]) -> Void) throws {
    build(&buffer)
    if buffer.count >= blockSize { try flush() }
  }

  func appendRecord(_ object: JSONObject) throws {
    StandardOutput.appendLine(object, to: &buffer)
    if buffer.count >= blockSize { try flush() }
  }

  /// A record as a JSON Lines line.
  static func appendLine(_ object: JSONObject, to bytes: inout [UInt8]) {
    JSONSerializer.append(object, to: &bytes)
    bytes.append(0x0A)
  }

  public func flush() throws {
    try writeAll(fd, buffer, name: "standard output")
    buffer.removeAll(keepingCapacity: true)
  }

  /// Writes whole lines after what is buffered, without copying them into the buffer.
  func write(_ lines: [UInt8]) throws {
    try flush()
    try writeAll(fd, lines, name: "standard output")
  }
}

extension OutputFormat {
  /// The formats `RecordPrinter` prints as JSON Lines, a record at a time (the others: CSV,
  /// and tables and Markdown, made at the end).
  var streamsJSONLines: Bool {
    switch self {
    case .jsonl, .auto, .html, .dot, .mermaid: true
    case .csv, .table, .markdown: false
    }
  }
}

/// Records made on another thread, as JSON Lines or (for the other formats) as records, for
/// `RecordPrinter.print(_: PreparedRecords)`.
public final class PreparedRecords: @unchecked Sendable {
  enum Made {
    case lines([UInt8])
    case records([JSONObject])
  }
  private let done = DispatchSemaphore(value: 0)
  /// Set on the making thread before `done` is signalled, read after it is waited for.
  private var made = Made.lines([])

  init<Item: Sendable>(_ items: [Item], _ record: @escaping @Sendable (Item) -> JSONObject, serialize: Bool) {
    DispatchQueue.global().async {
      if serialize {
        var bytes: [UInt8] = []
        for item in items { StandardOutput.appendLine(record(item), to: &bytes) }
        self.made = .lines(bytes)
      } else {
        self.made = .records(items.map(record))
      }
      self.done.signal()
    }
  }

  /// What was made, once it is (and at once for any later call).
  func wait() -> Made {
    done.wait()
    done.signal()
    return made
  }
}

/// Writes every byte to a file descriptor, retrying short writes and interruptions. A closed
/// pipe throws `OutputClosed`; other failures are I/O errors (exit 74).
public func writeAll(_ fd: Int32, _ bytes: [UInt8], name: String) throws {
  var offset = 0
  while offset < bytes.count {
    let n = bytes.withUnsafeBytes { raw in write(fd, raw.baseAddress! + offset, raw.count - offset) }
    if n < 0 {
      if errno == EINTR { continue }
      if errno == EPIPE { throw OutputClosed() }
      throw ITSMError.io("cannot write to \(name): \(String(cString: strerror(errno)))")
    }
    offset += n
  }
}

/// Messages for people, on stderr: never data, silenced by `-q` except errors.
public struct Messages: Sendable {
  public var quiet: Bool
  public var tool: String

  public init(tool: String, quiet: Bool) {
    self.tool = tool
    self.quiet = quiet
  }

  /// Writes a line to stderr; a closed stderr is ignored (there is nobody left to tell).
  public static func writeError(_ line: String) {
    try? writeAll(STDERR_FILENO, Array((line + "\n").utf8), name: "standard error")
  }

  public func info(_ text: String) {
    if !quiet { Messages.writeError(text) }
  }

  public func warning(_ text: String) {
    if !quiet { Messages.writeError("\(tool): warning: \(text)") }
  }
}

/// One column of a table, CSV or Markdown view of records.
public struct Column: Sendable {
  public enum Style: Sendable {
    case text, time, minutes, percent
    case wrap(Int)
  }
  public var header: String
  public var key: String
  public var style: Style

  public init(_ header: String, _ key: String, _ style: Style = .text) {
    self.header = header
    self.key = key
    self.style = style
  }
}

/// Prints records in the chosen format. JSON Lines streams; tables and Markdown need every
/// row for their widths and are printed at the end; CSV streams with a header from the view.
public final class RecordPrinter {
  public let format: OutputFormat
  public let output: StandardOutput
  private let views: [String: [Column]]
  private var pending: [(String, JSONObject)] = []
  /// The kind whose header CSV printed last: a mixed stream starts a new table per kind.
  private var csvKind: String?

  public init(format: OutputFormat, output: StandardOutput = StandardOutput(), views: [String: [Column]] = [:]) {
    self.format = format
    self.output = output
    self.views = views
  }

  public func print(_ record: JSONObject) throws {
    if format.streamsJSONLines {
      try output.appendRecord(record)
    } else if format == .csv {
      try printCSV(record)
    } else if case .string(let kind)? = record["kind"] {
      pending.append((kind, record))
    } else {
      pending.append(("", record))
    }
  }

  /// Starts making the records of `items` on another thread, and their JSON Lines: a command
  /// that prints what its transaction did has them made while the transaction commits, and
  /// prints them with `print(_: PreparedRecords)` once it has. Other formats are made then.
  public func prepare<Item: Sendable>(
    _ items: [Item], _ record: @escaping @Sendable (Item) -> JSONObject
  ) -> PreparedRecords {
    PreparedRecords(items, record, serialize: format.streamsJSONLines)
  }

  /// Prints records `prepare` made, waiting for them if need be.
  public func print(_ prepared: PreparedRecords) throws {
    switch prepared.wait() {
    case .lines(let bytes): try output.write(bytes)
    case .records(let records): for record in records { try print(record) }
    }
  }

  /// Prints an incident; JSON Lines skips the intermediate `JSONObject`.
  public func print(_ incident: Incident, policy: Policy) throws {
    if format == .jsonl || format == .auto {
      try output.appendLine { incident.appendJSONLine(to: &$0, policy: policy) }
    } else {
      try print(incident.record(policy: policy))
    }
  }

  /// Writes what is buffered so far (call before waiting for input).
  public func flush() throws { try output.flush() }

  /// Prints the tables and flushes stdout.
  public func finish() throws {
    if format == .table || format == .markdown {
      var kinds: [String] = []
      for (kind, _) in pending where !kinds.contains(kind) { kinds.append(kind) }
      for (index, kind) in kinds.enumerated() {
        if index > 0 { try output.append("\n") }
        let records = pending.filter { $0.0 == kind }.map(\.1)
        try output.append(renderTable(records, columns: columns(for: kind, records)))
      }
      pending.removeAll()
    }
    try output.flush()
  }

  private func columns(for kind: String, _ records: [JSONObject]) -> [Column] {
    if let view = views[kind] { return view }
    var keys: [String] = []
    for record in records.prefix(100) {
      for field in record.fields where !keys.contains(field.key) && field.key != "kind" { keys.append(field.key) }
    }
    return keys.map { Column($0, $0, RecordPrinter.style(forKey: $0)) }
  }

  /// Fields counted in user-minutes (people x minutes), not lengths of time.
  static let userMinutes: Set<String> = ["productivity_loss_min"]

  static func style(forKey key: String) -> Column.Style {
    key.hasSuffix("_at") ? .time : key.hasSuffix("_min") && !userMinutes.contains(key) ? .minutes : .text
  }

  /// The value at `key`; `group.priority` reads into the nested `group` object.
  static func value(_ record: JSONObject, _ key: String) -> JSONValue? {
    if let direct = record[key] { return direct }
    guard let dot = key.firstIndex(of: "."), case .object(let inner)? = record[String(key[..<dot])] else { return nil }
    return value(inner, String(key[key.index(after: dot)...]))
  }

  static func cell(_ value: JSONValue?, style: Column.Style, forTable: Bool) -> String {
    guard let value else { return "" }
    switch (value, style) {
    case (.null, _): return ""
    case (.string(let s), .time) where forTable:
      guard let t = TimestampParser.parseAbsolute(s) else { return s }
      let text = t.rfc3339
      return String(text.prefix(10)) + " " + String(text.dropFirst(11).prefix(5))
    case (.double(let d), .minutes) where forTable: return DurationValue(seconds: Int64((d * 60).rounded())).description
    case (.int(let i), .minutes) where forTable: return DurationValue(seconds: i * 60).description
    case (.double(let d), .percent) where forTable: return String(format: "%.1f%%", d * 100)
    case (.string(let s), .wrap(let width)) where forTable && s.count > width:
      return String(s.prefix(width - 1)) + "…"
    case (.string(let s), _): return forTable ? s.replacingOccurrences(of: "\n", with: " ") : s
    case (.int(let i), _): return String(i)
    case (.double(let d), _): return d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(format: "%.2f", d)
    case (.bool(let b), _): return b ? "true" : "false"
    default: return JSONSerializer.string(value)
    }
  }

  private func renderTable(_ records: [JSONObject], columns: [Column]) -> String {
    let markdown = format == .markdown
    let rows = records.map { r in
      columns.map { RecordPrinter.cell(RecordPrinter.value(r, $0.key), style: $0.style, forTable: true) }
    }
    if records.count == 1 && !markdown {
      let all = records[0].fields.filter { $0.key != "kind" }.map { field in
        (field.key, RecordPrinter.cell(field.value, style: RecordPrinter.style(forKey: field.key), forTable: true))
      }.filter { !$0.1.isEmpty }
      let width = all.map(\.0.count).max() ?? 0
      return all.map { $0.0.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + $0.1 }
        .joined(separator: "\n") + "\n"
    }
    if markdown {
      let escape = { (s: String) in s.replacingOccurrences(of: "|", with: "\\|") }
      var lines = ["| " + columns.map { escape($0.header) }.joined(separator: " | ") + " |"]
      lines.append("|" + columns.map { _ in "---|" }.joined())
      lines += rows.map { "| " + $0.map(escape).joined(separator: " | ") + " |" }
      return lines.joined(separator: "\n") + "\n"
    }
    var widths = columns.map(\.header.count)
    for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
    func line(_ cells: [String]) -> String {
      zip(cells, widths).map { $0.0.padding(toLength: $0.1, withPad: " ", startingAt: 0) }
        .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }
    return ([line(columns.map { $0.header.uppercased() })] + rows.map(line)).joined(separator: "\n") + "\n"
  }

  private func printCSV(_ record: JSONObject) throws {
    let kind: String
    if case .string(let k)? = record["kind"] { kind = k } else { kind = "" }
    let cols = views[kind + ".csv"] ?? views[kind] ?? record.fields.map { Column($0.key, $0.key) }
    if csvKind != kind {
      if csvKind != nil { try output.append("\r\n") }
      try output.append(cols.map { RecordPrinter.csvField($0.key) }.joined(separator: ",") + "\r\n")
      csvKind = kind
    }
    let cells = cols.map {
      RecordPrinter.csvField(RecordPrinter.cell(RecordPrinter.value(record, $0.key), style: .text, forTable: false))
    }
    try output.append(cells.joined(separator: ",") + "\r\n")
  }

  static func csvField(_ s: String) -> String {
    guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
    return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
