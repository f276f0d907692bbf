import Foundation
import Testing

@Suite("itsm-report summary, end to end")
struct ReportSummaryTests {
  let fixture =
    [
      // P1 today: acknowledged after 20 min (response breached at 09:15), resolved after 60 (met)
      #"{"id":"a","title":"Mail down","service":"mail","priority":"P1","status":"resolved","opened_at":"2026-11-02T09:00:00Z","acknowledged_at":"2026-11-02T09:20:00Z","resolved_at":"2026-11-02T10:00:00Z"}"#,
      // P2 today, never acknowledged, still open: response breached 10:30, resolution 12:40
      #"{"id":"b","title":"VPN | slow","service":"vpn","priority":"P2","status":"new","assignee":"ana","opened_at":"2026-11-02T10:00:00Z"}"#,
      // opened the day before, resolved today (its response breach was the day before)
      #"{"id":"c","title":"c","service":"web","priority":"P3","status":"resolved","opened_at":"2026-11-01T12:00:00Z","resolved_at":"2026-11-02T08:00:00Z"}"#,
      // opened and resolved the day before
      #"{"id":"d","title":"d","service":"web","priority":"P4","status":"resolved","opened_at":"2026-11-01T13:00:00Z","acknowledged_at":"2026-11-01T13:10:00Z","resolved_at":"2026-11-01T14:00:00Z"}"#,
    ].joined(separator: "\n") + "\n"

  @Test func theDigestCountsByHandFromRecordsAndFromTheDatabase() throws {
    let s = try Sandbox()
    let args = ["summary", "--day", "2026-11-02", "--now", "2026-11-03T09:00:00Z"]
    let piped = try s.run("itsm-report", args + ["--input", "-"], stdin: fixture)
    #expect(piped.status == 0, "\(piped.stderr)")
    let r = try #require(piped.records.first)
    #expect(r["kind"] as? String == "summary")
    #expect(r["opened"] as? Int == 2)
    #expect(r["opened_by_priority"] as? [String: Int] == ["P1": 1, "P2": 1])
    #expect(r["resolved"] as? Int == 2)
    #expect((r["previous_day"] as? [String: Any])?["opened"] as? Int == 2)
    #expect((r["previous_day"] as? [String: Any])?["resolved"] as? Int == 1)
    let open = r["open_urgent"] as? [[String: Any]]
    #expect(open?.map { $0["id"] as? String ?? "" } == ["b"])
    #expect(open?.first?["age_min"] as? Double == 1380)
    #expect(open?.first?["owner"] as? String == "ana")
    let breaches = (r["sla_breaches"] as? [[String: Any]])?.map { "\($0["id"] ?? "") \($0["clock"] ?? "")" }
    #expect(breaches == ["a response", "b resolution", "b response"])
    #expect((r["hot_spots"] as? [[String: Any]])?.map { $0["service"] as? String ?? "" } == ["mail", "vpn"])
    #expect(try s.incident(["import", "-q", "--now", "2026-11-03T00:00:00Z"], stdin: fixture).status == 0)
    let stored = try s.run("itsm-report", args)
    #expect(stored.stdout == piped.stdout)
    let markdown = try s.run("itsm-report", args + ["--format", "markdown"])
    #expect(markdown.stdout.contains("**Incident summary for 2026-11-02** (UTC)"))
    #expect(markdown.stdout.contains("- Opened: 2 (P1 1, P2 1), day before 2 (±0)"))
    #expect(markdown.stdout.contains("| b | P2 | vpn | VPN \\| slow | 23h | ana |"))
    #expect(markdown.stdout.contains("**SLA breaches** (3): a (P1 response), b (P2 resolution), b (P2 response)"))
    #expect(try s.run("itsm-report", ["summary", "--day", "yesterday"]).status == 64)
  }
}
