import Foundation
import Testing

@Suite("itsm-report trends, end to end")
struct ReportTrendsTests {
  @Test func monthsWithTheirChangesAndAnEmptyMonthInBetween() throws {
    let s = try Sandbox()
    func incident(_ id: String, _ opened: String, minutes: Int) -> String {
      let open = TimeInterval(ISO8601DateFormatter().date(from: opened)!.timeIntervalSince1970)
      let resolved = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: open + Double(minutes * 60)))
      return
        #"{"id":"\#(id)","title":"t","service":"mail","priority":"P3","status":"resolved","opened_at":"\#(opened)","acknowledged_at":"\#(opened)","resolved_at":"\#(resolved)"}"#
    }
    let records =
      [
        incident("a", "2026-10-01T09:00:00Z", minutes: 60), incident("b", "2026-10-10T09:00:00Z", minutes: 120),
        incident("c", "2026-10-20T09:00:00Z", minutes: 90), incident("d", "2026-12-05T09:00:00Z", minutes: 30),
      ].joined(separator: "\n") + "\n"
    let r = try s.run("itsm-report", ["trends", "--period", "month", "--input", "-"], stdin: records)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.map { $0["month"] as? String ?? "" } == ["2026-10", "2026-11", "2026-12"])
    #expect(r.records.map { $0["incidents"] as? Int ?? -1 } == [3, 0, 1])
    #expect(r.records[0]["mttr_mean_min"] as? Double == 90)
    #expect(r.records[0]["incidents_change"] == nil)
    #expect(r.records[1]["incidents_change"] as? Double == -1)
    #expect(r.records[1]["mttr_mean_min"] == nil)
    #expect(r.records[2]["incidents_change"] == nil)  // nothing to compare with: no division by zero
    #expect(r.records[2]["mttr_mean_min"] as? Double == 30)
    #expect(r.records.map { $0["sparkline"] as? String ?? "" } == ["█", "█▁", "█▁▃"])
    // No MTTR in November: no change to report either side of it (not "down 100 %").
    #expect(r.records[1]["mttr_change"] == nil)
    #expect(r.records[2]["mttr_change"] == nil)
    // An incident opened before --since and resolved inside it adds nothing to trends.
    let earlier =
      #"{"id":"z","title":"t","service":"mail","priority":"P4","status":"resolved","opened_at":"2026-09-01T09:00:00Z","resolved_at":"2026-10-02T09:00:00Z"}"#
    let since = try s.run(
      "itsm-report", ["trends", "--by", "priority", "--since", "2026-10-01", "--input", "-"],
      stdin: records + earlier + "\n")
    #expect(!since.records.isEmpty)
    #expect(since.records.allSatisfy { ($0["group"] as? [String: Any])?["priority"] as? String == "P3" })
    // The database says the same.
    #expect(
      try s.incident(["import", "-q", "--now", "2026-12-31T00:00:00Z"], stdin: records + earlier + "\n").status == 0)
    let stored = try s.run("itsm-report", ["trends", "--by", "priority", "--since", "2026-10-01"])
    #expect(stored.stdout == since.stdout)
    #expect(r.records.allSatisfy { $0["mttr_variant"] as? String == "resolve" })
    let empty = try s.run("itsm-report", ["trends", "--since", "2020-01-01", "--until", "2020-02-01"])
    #expect(empty.status == 0 && empty.stdout.isEmpty)
    #expect(try s.run("itsm-report", ["trends", "--by", "month"]).status == 64)
  }
}
