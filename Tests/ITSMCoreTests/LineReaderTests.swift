import Foundation
import Testing

@testable import ITSMCore

@Suite("line reader")
struct LineReaderTests {
  func lines(_ bytes: [UInt8], maximum: Int = LineReader.defaultMaximumLineLength) throws -> [String] {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("lines-\(UUID().uuidString)").path
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var seen: [String] = []
    try LineReader(path: path, maximumLineLength: maximum).forEachLine { number, line in
      switch line {
      case .text(let text): seen.append("\(number):\(String(decoding: text, as: UTF8.self))")
      case .tooLong(let size): seen.append("\(number):too long \(size)")
      }
    }
    return seen
  }

  @Test func bomCRLFBlankLinesAndNoFinalNewline() throws {
    let text: [UInt8] = [0xEF, 0xBB, 0xBF] + Array("a\r\n\r\n  \nb\nc".utf8)
    #expect(try lines(text) == ["1:a", "4:b", "5:c"])
  }

  @Test func overlongLinesAreReportedAndSkippedInBoundedMemory() throws {
    let long = String(repeating: "x", count: 3 << 20)
    #expect(
      try lines(Array("ok\n\(long)\nafter\n".utf8), maximum: 1 << 20) == ["1:ok", "2:too long \(3 << 20)", "3:after"])
  }

  @Test func overlongLastLineWithoutNewlineIsReported() throws {
    let long = String(repeating: "y", count: 3 << 20)
    #expect(try lines(Array("ok\n\(long)".utf8), maximum: 1 << 20) == ["1:ok", "2:too long \(3 << 20)"])
  }

  @Test func linesAcrossReadChunks() throws {
    let many = (1...50_000).map { "line \($0)" }.joined(separator: "\n")
    let seen = try lines(Array(many.utf8))
    #expect(seen.count == 50_000)
    #expect(seen.last == "50000:line 50000")
  }

  @Test func missingFileIsExit66() {
    do {
      _ = try LineReader(path: "/nonexistent/file.jsonl")
      Issue.record("opened a missing file")
    } catch let error as ITSMError {
      #expect(error.exitCode == 66)
    } catch {
      Issue.record("\(error)")
    }
  }

  @Test func csvQuotedFieldsKeepTheirBlankAndSpaceOnlyLines() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
    let text = "a,b\r\n\r\n1,\"x\r\n\r\n   \r\ny, z\"\r\n  \n2,\"\"\"q\"\"\"\n"
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var records: [(Int, [String])] = []
    try CSVParser.forEachRecord(try LineReader(path: path)) { line, result, _ in
      if case .success(let fields) = result { records.append((line, fields)) }
    }
    #expect(records.map(\.0) == [1, 3, 8])
    #expect(records.map(\.1) == [["a", "b"], ["1", "x\n\n   \ny, z"], ["2", "\"q\""]])
  }

  /// The ServiceNow stream decodes each batch last row first, each row beside the next one in
  /// the input: the rows come back in input order, and a row's `next` is the row after it when
  /// that one was decoded in the same batch (of 256 lines), else nil.
  @Test func csvRowsAreDecodedBesideTheNextOneInInputOrder() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
    // 600 rows; every 97th has a cell too many and is refused.
    let refused = Set(stride(from: 40, to: 600, by: 97))
    let text = "number,x\n" + (0..<600).map { refused.contains($0) ? "r\($0),1,2\n" : "r\($0),1\n" }.joined()
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var seen: [(number: String, next: String?)] = []
    let counts = try RecordStream(skipInvalid: true).run(
      csv: try LineReader(path: path), header: { _ in },
      decode: { row, next in
        ServiceNowRow(
          number: row.cells[0], modCount: nil, updatedAt: nil, state: nil, team: next?.number, assignee: nil,
          priority: nil, decoded: nil)
      }, apply: { row, _ in seen.append((row.number, row.team)) }, onReject: { _, _, _ in })
    #expect(counts.rejected == refused.count)
    let kept = (0..<600).filter { !refused.contains($0) }
    #expect(seen.map(\.number) == kept.map { "r\($0)" })
    for (row, i) in zip(seen, kept) {
      let expected = i + 1 < 600 && (i + 1) % 256 != 0 && !refused.contains(i + 1) ? "r\(i + 1)" : nil
      #expect(row.next == expected, "row \(i)")
    }
  }

  @Test func csvQuoteNeverClosedIsRefusedAtTheLineLimitNotHeldToTheEnd() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("csv-\(UUID().uuidString)").path
    // Line 2 opens a quote that never closes; each later line is 10 bytes.
    let text = "a,b\n1,\"open\n" + String(repeating: "0123456789\n", count: 50)
    FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
    defer { try? FileManager.default.removeItem(atPath: path) }
    var seen: [String] = []
    try CSVParser.forEachRecord(try LineReader(path: path, maximumLineLength: 100)) { line, result, raw in
      switch result {
      case .success(let fields): seen.append("\(line):\(fields.count) cells")
      case .failure(let rejection): seen.append("\(line):\(rejection.reason) (\(raw.count) bytes kept)")
      }
    }
    // Refused once it passes 100 bytes (after 9 more lines); the lines after it are records again.
    #expect(seen.first == "1:2 cells")
    #expect(
      seen.dropFirst().first
        == "2:a quoted field is not closed within 100 bytes (the record is refused there) (0 bytes kept)")
    #expect(seen.dropFirst(2).first == "12:1 cells")
    #expect(seen.count == 2 + 41)
  }

  @Test(
    arguments: [
      ("a,\"b,c\",d", ["a", "b,c", "d"]),
      ("\"a\"\"b\",c", ["a\"b", "c"]),
      ("x\"y,z", ["x\"y", "z"]),
      ("\"a\"b\"c,d", ["ab\"c", "d"]),
      (",", ["", ""]),
      ("", [""]),
      ("\"\",\"\"", ["", ""]),
      ("a,,\"\"\"\"", ["a", "", "\""]),
      ("\"a", nil),
      ("a,\"", nil),
      ("\"a\"\"", nil),
    ] as [(String, [String]?)])
  func csvFieldsFollowRFC4180(text: String, expected: [String]?) {
    #expect(CSVParser.fields(Array(text.utf8)) == expected)
    // A record is complete exactly when it splits into fields.
    #expect(CSVParser.isComplete(Array(text.utf8)) == (expected != nil))
  }

  @Test func csvRowsAreReadByTheFirstColumnOfAName() throws {
    let header = CSVHeader(["b", " a ", "b", "c"])
    let row = try header.row(["1", "2", "3", "4"])
    #expect(row["b"] == "1")
    #expect(row["a"] == "2")
    #expect(row["z"] == nil)
    #expect(row.sortedByName.map { "\($0.name)=\($0.value)" } == ["a=2", "b=1", "c=4"])
    #expect(throws: RecordRejection("the row has 3 cells, the header 4")) { try header.row(["1", "2", "3"]) }
  }
}
