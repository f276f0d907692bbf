import Foundation
import Testing

@Suite("itsm-incident alert --from alertmanager, end to end")
struct AlertmanagerTests {
  func payload(_ status: String, _ alerts: [String]) -> String {
    #"{"version":"4","groupKey":"{}:{alertname=\"QueueHigh\"}","status":"\#(status)","receiver":"itsm","commonLabels":{"team":"messaging"},"alerts":[\#(alerts.joined(separator: ","))]}"#
  }

  let queue =
    #"{"status":"firing","labels":{"alertname":"QueueHigh","service":"mail","severity":"critical","instance":"mx1"},"annotations":{"summary":"Mail queue above 10k"},"startsAt":"2026-11-02T09:00:00.123456789Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"a1b2c3"}"#
  let disk =
    #"{"status":"firing","labels":{"alertname":"DiskFull","job":"db-core","instance":"db1"},"annotations":{},"startsAt":"2026-11-02T09:01:00Z","endsAt":"0001-01-01T00:00:00Z","fingerprint":"d4e5f6"}"#

  @Test func payloadsOpenJoinAndResolveIncidents() throws {
    let s = try Sandbox()
    var r = try s.incident(["alert", "--from", "alertmanager"], stdin: payload("firing", [queue, disk]) + "\n")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.count == 2)
    let mail = r.records.first { $0["service"] as? String == "mail" }
    #expect(mail?["title"] as? String == "Mail queue above 10k")
    #expect(mail?["priority"] as? String == "P1")
    #expect(mail?["dedup_key"] as? String == "alertmanager:a1b2c3")
    #expect(mail?["opened_at"] as? String == "2026-11-02T09:00:00Z")
    #expect(((mail?["extra"] as? [String: Any])?["labels"] as? [String: Any])?["instance"] as? String == "mx1")
    #expect((mail?["extra"] as? [String: Any])?["generator_url"] as? String == "http://prom/graph")
    // The job label names the service when there is no service label; no severity: warning, P3.
    let db = r.records.first { $0["service"] as? String == "db-core" }
    #expect(db?["title"] as? String == "DiskFull")
    #expect(db?["priority"] as? String == "P3")
    // The same alert again joins its incident.
    r = try s.incident(
      ["alert", "--from", "alertmanager", "--now", "2026-11-02T09:10:00Z"], stdin: payload("firing", [queue]) + "\n")
    #expect(r.records.first?["alert_count"] as? Int == 2)
    #expect(try s.incident(["list"]).records.count == 2)
    // Resolved: the incident is resolved at endsAt.
    let resolved = queue.replacingOccurrences(of: #""status":"firing""#, with: #""status":"resolved""#)
      .replacingOccurrences(of: "0001-01-01T00:00:00Z", with: "2026-11-02T09:30:00Z")
    r = try s.incident(["alert", "--from", "alertmanager"], stdin: payload("resolved", [resolved]) + "\n")
    #expect(r.records.first?["status"] as? String == "resolved")
    #expect(r.records.first?["resolved_at"] as? String == "2026-11-02T09:30:00Z")
  }

  @Test func badPayloadsAreRefusedAndWriteNothing() throws {
    let s = try Sandbox()
    _ = try s.incident(["alert", "--from", "alertmanager"], stdin: payload("firing", [queue]) + "\n")
    let before = try s.snapshot()
    var r = try s.incident(
      ["alert", "--from", "alertmanager"],
      stdin: payload("firing", [disk]) + "\n" + #"{"version":"4","status":"firing"}"# + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:2: not an Alertmanager payload: no alerts[]"))
    #expect(try s.snapshot() == before)
    r = try s.incident(
      ["alert", "--from", "alertmanager"],
      stdin: payload("firing", [disk, #"{"status":"firing","annotations":{}}"#]) + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:1: alerts[1]: an alert needs a fingerprint or labels"))
    #expect(try s.snapshot() == before)
    r = try s.incident(
      ["alert", "--from", "alertmanager"],
      stdin: payload("firing", [#"{"status":"firing","labels":{"alertname":"X"},"fingerprint":"zz"}"#]) + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("alerts[0]: no service: the alert has no label service or job"))
  }
}
