import Foundation
import Testing

@Suite("itsm-incident import and export, end to end")
struct ImportTests {
  static let good =
    #"{"id":"X-1","title":"VPN down","service":"vpn","priority":"P2","opened_at":"2026-10-01T08:00:00+02:00","acknowledged_at":"2026-10-01T06:10:00Z","resolved_at":"2026-10-01T07:00:00Z","root_cause":"cert","resolution":"renewed","ticket_url":"https://x/1"}"#

  @Test func importKeepsHistorySynthesizesTimelineAndIsIdempotent() throws {
    let s = try Sandbox()
    let file = try s.write("in.jsonl", Self.good + "\n")
    var r = try s.incident(["import", "--input", file, "--now", "2026-11-01T00:00:00Z"])
    #expect(r.status == 0)
    #expect(r.records.first?["created"] as? Int == 1)
    let shown = try s.incident(["show", "X-1"]).records
    #expect(shown.first?["opened_at"] as? String == "2026-10-01T06:00:00Z")
    #expect(shown.first?["status"] as? String == "resolved")
    #expect((shown.first?["extra"] as? [String: Any])?["ticket_url"] as? String == "https://x/1")
    #expect(shown.dropFirst().map { $0["type"] as? String } == ["opened", "acknowledged", "resolved"])
    #expect(shown.dropFirst().allSatisfy { $0["source"] as? String == "import" })
    let before = try s.snapshot()
    r = try s.incident(["import", "--input", file, "--now", "2026-11-02T00:00:00Z"])
    #expect(r.records.first?["changed"] as? Int == 0)
    #expect(r.stderr.contains("0 changed"))
    #expect(try s.snapshot() == before)
  }

  @Test func changedRecordIsUpdatedWithItsChanges() throws {
    let s = try Sandbox()
    _ = try s.incident(["import"], stdin: Self.good + "\n")
    let changed = Self.good.replacingOccurrences(of: #""priority":"P2""#, with: #""priority":"P1""#)
    let r = try s.incident(["import", "--now", "2026-11-01T00:00:00Z"], stdin: changed + "\n")
    #expect(r.records.first?["updated"] as? Int == 1)
    let last = try s.incident(["events", "--incident", "X-1"]).records.last
    #expect(last?["type"] as? String == "imported")
    let changes = last?["changes"] as? [String: Any]
    #expect((changes?["priority"] as? [String: Any])?["to"] as? String == "P1")
  }

  @Test func reimportNeverMovesRecordedTimes() throws {
    let s = try Sandbox()
    _ = try s.incident(["import"], stdin: Self.good + "\n")
    let moved = Self.good.replacingOccurrences(of: "2026-10-01T06:10:00Z", with: "2026-10-01T06:50:00Z")
    let r = try s.incident(["import"], stdin: moved + "\n")
    #expect(r.status == 0)
    #expect(r.stderr.contains("acknowledged_at stays 2026-10-01T06:10:00Z as recorded"))
    #expect(r.records.first?["changed"] as? Int == 0)
    #expect(try s.incident(["show", "X-1"]).records.first?["acknowledged_at"] as? String == "2026-10-01T06:10:00Z")
  }

  @Test func duplicateIdInOneInputLaterWinsAndSaysSo() throws {
    let s = try Sandbox()
    let second = Self.good.replacingOccurrences(of: "VPN down", with: "VPN flapping")
    let r = try s.incident(["import"], stdin: Self.good + "\n" + second + "\n")
    #expect(r.status == 0)
    #expect(r.stderr.contains("<stdin>:2: id 'X-1' also appears on line 1; the later record wins"))
    #expect(try s.incident(["show", "X-1"]).records.first?["title"] as? String == "VPN flapping")
  }

  @Test(arguments: [
    ("not json at all", "invalid JSON at column 1"),
    ("[1,2]", "expected a JSON object, got array"),
    (#"{"service":"vpn","priority":"P2"}"#, "missing required field 'title'"),
    (#"{"title":"t","priority":"P2"}"#, "missing required field 'service'"),
    (#"{"title":"t","service":"s","impact":0,"urgency":1}"#, "'impact' must be 1 to 3, got 0"),
    (#"{"title":"t","service":"s","impact":4,"urgency":1}"#, "'impact' must be 1 to 3, got 4"),
    (#"{"title":"t","service":"s","priority":"P9"}"#, "unknown priority 'P9' (expected P1..P5)"),
    (#"{"id":"A","title":"t","service":"s","priority":"P2","status":"done"}"#, "unknown status 'done'"),
    (
      #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-13-01"}"#,
      "'opened_at': unparseable timestamp '2026-13-01'"
    ),
    (
      #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-02T00:00:00Z","resolved_at":"2026-11-01T00:00:00Z"}"#,
      "resolved_at (2026-11-01T00:00:00Z) is before opened_at (2026-11-02T00:00:00Z)"
    ),
    (#"{"title":"t","service":"s","impact":"1","urgency":1}"#, "'impact' must be a number, got string"),
  ])
  func badLineWritesNothingAndNamesTheLine(line: String, reason: String) throws {
    let s = try Sandbox()
    _ = try s.open()
    let before = try s.snapshot()
    let file = try s.write("in.jsonl", Self.good + "\n\n" + line + "\n")
    let r = try s.incident(["import", "--input", file])
    #expect(r.status == 65)
    #expect(r.stdout == "")
    #expect(r.stderr.hasPrefix("\(file):3: "), "\(r.stderr)")
    #expect(r.stderr.contains(reason), "\(r.stderr)")
    #expect(try s.snapshot() == before)
  }

  @Test func invalidUTF8IsRejected() throws {
    let s = try Sandbox()
    var bytes = Array(#"{"title":"bad "#.utf8)
    bytes += [0xFF, 0xFE]
    bytes += Array(#"","service":"s","priority":"P2"}"#.utf8) + [0x0A]
    let file = try s.write("bad.jsonl", bytes: bytes)
    let r = try s.incident(["import", "--input", file])
    #expect(r.status == 65)
    #expect(r.stderr.contains("\(file):1: invalid JSON at column 15: invalid UTF-8 in a string"))
    #expect(try s.snapshot() == "")
  }

  @Test func tenMegabyteLineIsHandled() throws {
    let s = try Sandbox()
    let huge =
      #"{"id":"BIG","title":"t","service":"s","priority":"P2","note":""# + String(repeating: "x", count: 10 << 20)
    let file = try s.write("big.jsonl", Self.good + "\n" + huge + "\n")
    _ = try s.open()
    let before = try s.snapshot()
    var r = try s.incident(["import", "--input", file])
    #expect(try s.snapshot() == before)
    #expect(r.status == 65)
    #expect(r.stderr.contains("\(file):2: invalid JSON"))
    #expect(r.stderr.contains("unterminated string"))
    try s.write("big.jsonl", Self.good + "\n" + huge + "\"}\n")
    r = try s.incident(["import", "--input", file, "-q"])
    #expect(r.status == 0)
    #expect(r.records.first?["created"] as? Int == 2)
  }

  @Test func dryRunOnAMissingDatabaseCreatesNothing() throws {
    let s = try Sandbox()
    let r = try s.incident(["import", "--dry-run"], stdin: Self.good + "\n")
    #expect(r.records.first?["created"] as? Int == 1)
    #expect(try s.snapshot() == "<no database>")
  }

  @Test func skipInvalidWritesValidLinesAndRejects() throws {
    let s = try Sandbox()
    let input = Self.good + "\nnope\n" + #"{"title":"t","service":"s"}"# + "\n"
    let r = try s.incident(["import", "--skip-invalid", "--rejects", s.path("rejects.jsonl")], stdin: input)
    #expect(r.status == 0)
    #expect(r.stderr.contains("1 written, 2 rejected"))
    let rejects = try String(contentsOfFile: s.path("rejects.jsonl"), encoding: .utf8).split(separator: "\n")
    #expect(rejects.count == 2)
    #expect(rejects[0].contains(#""kind":"reject","line":2"#))
    #expect(rejects[1].contains(#""input":"{\"title\":\"t\",\"service\":\"s\"}""#))
  }

  @Test func prettyPrintedJSONGetsAHint() throws {
    let s = try Sandbox()
    let r = try s.incident(["import"], stdin: "[\n  {\"title\": \"t\"}\n]\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("try jq -c '.[]'"))
  }

  @Test func crlfBomAndBlankLinesAreAccepted() throws {
    let s = try Sandbox()
    let bytes: [UInt8] = [0xEF, 0xBB, 0xBF] + Array((Self.good + "\r\n\r\n   \r\n").utf8)
    let file = try s.write("win.jsonl", bytes: bytes)
    let r = try s.incident(["import", "--input", file])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.first?["created"] as? Int == 1)
  }

  @Test func missingInputFileExits66() throws {
    let s = try Sandbox()
    let r = try s.incident(["import", "--input", s.path("nope.jsonl")])
    #expect(r.status == 66)
    #expect(r.stderr.contains("nope.jsonl: No such file or directory"))
  }

  @Test func idLessRecordsNeedOpenedAtAndReimportUnchanged() throws {
    let s = try Sandbox()
    let line = #"{"title":"Printer jam","service":"printing","priority":"P4","opened_at":"2026-10-01T08:00:00Z"}"#
    var r = try s.incident(["import", "--now", "2026-11-01T00:00:00Z"], stdin: line + "\n")
    #expect(r.records.first?["created"] as? Int == 1)
    r = try s.incident(["import", "--now", "2026-11-05T00:00:00Z"], stdin: line + "\n")
    #expect(r.records.first?["unchanged"] as? Int == 1)
    r = try s.incident(["import"], stdin: #"{"title":"t","service":"s","priority":"P4"}"# + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("a record without 'id' needs 'opened_at'"))
  }

  @Test func moreThanTwentyBadLinesAreCountedNotAllPrinted() throws {
    let s = try Sandbox()
    let r = try s.incident(["import"], stdin: String(repeating: "nope\n", count: 25))
    #expect(r.status == 65)
    #expect(r.stderr.split(separator: "\n").count == 21)
    #expect(r.stderr.contains("... and 5 more invalid lines"))
    #expect(try s.snapshot() == "")
  }

  @Test func updatedIncidentsSurviveExportAndImport() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident([
      "update", id, "--set", "priority=P1", "--set", "tags.customer=acme", "--now", "2026-11-01T09:01:00Z",
    ])
    _ = try s.incident(["resolve", id, "--now", "2026-11-01T09:30:00Z"])
    _ = try s.incident(["reopen", id, "--reason", "again", "--now", "2026-11-01T10:00:00Z"])
    _ = try s.incident(["resolve", id, "--now", "2026-11-01T11:00:00Z"])
    let exported = try s.incident(["export"]).stdout
    let r = try s.incident(["import", "--db", s.path("copy.db")], stdin: exported)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try s.incident(["export", "--db", s.path("copy.db")]).stdout == exported)
  }

  @Test func dryRunChangesNothing() throws {
    let s = try Sandbox()
    _ = try s.open()
    let before = try s.snapshot()
    let r = try s.incident(["import", "--dry-run"], stdin: Self.good + "\n")
    #expect(r.records.first?["created"] as? Int == 1)
    #expect(try s.snapshot() == before)
  }

  @Test func demoDataRoundTripsThroughExportAndImport() throws {
    let s = try Sandbox()
    let data = try s.run("itsm-gen", ["incidents", "--days", "90"]).stdout
    try s.write("demo.jsonl", data)
    var r = try s.incident(["import", "--input", s.path("demo.jsonl"), "-q"])
    #expect(r.status == 0)
    let first = try s.incident(["export"]).stdout
    let copy = s.path("copy.db")
    r = try s.incident(["import", "--db", copy, "-q"], stdin: first)
    #expect(r.records.first?["created"] as? Int == first.split(separator: "\n").count)
    let second = try s.incident(["export", "--db", copy]).stdout
    #expect(first == second)
    #expect(first.split(separator: "\n").count > 2000)
    r = try s.incident(["import", "--db", copy, "-q"], stdin: second)
    #expect(r.records.first?["changed"] as? Int == 0)
    let opened = try s.open("after import", at: "2026-11-02T00:00:00Z")
    #expect(opened == "INC-\(first.split(separator: "\n").count + 1)")
  }
}
