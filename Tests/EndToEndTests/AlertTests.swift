import Foundation
import Testing

@Suite("itsm-incident alert, end to end")
struct AlertTests {
  func alert(_ key: String, _ status: String, at: String) -> String {
    #"{"dedup_key":"\#(key)","title":"Queue high","service":"mail","severity":"critical","status":"\#(status)","at":"\#(at)"}"#
  }

  @Test func firingAlertsJoinTheOpenIncidentAndResolvedOnesResolveIt() throws {
    let s = try Sandbox()
    let stream = [
      alert("q", "firing", at: "2026-11-01T09:00:00Z"), alert("q", "firing", at: "2026-11-01T09:05:00Z"),
      alert("other", "firing", at: "2026-11-01T09:06:00Z"),
    ].joined(separator: "\n")
    var r = try s.incident(["alert"], stdin: stream + "\n")
    #expect(r.status == 0)
    #expect(try s.incident(["list"]).records.count == 2)
    let first = try s.incident(["show", "INC-1"]).records.first
    #expect(first?["alert_count"] as? Int == 2)
    #expect(first?["priority"] as? String == "P1")
    #expect(first?["last_alert_at"] as? String == "2026-11-01T09:05:00Z")
    r = try s.incident(["alert"], stdin: alert("q", "resolved", at: "2026-11-01T09:30:00Z") + "\n")
    #expect(r.records.first?["status"] as? String == "resolved")
    r = try s.incident(["alert"], stdin: alert("q", "firing", at: "2026-11-01T10:00:00Z") + "\n")
    #expect(r.records.first?["id"] as? String == "INC-3")
  }

  @Test func policyCanKeepIncidentsOpenOnResolvedAlerts() throws {
    let s = try Sandbox()
    let policy = try s.write("p.yaml", "alerts:\n  resolve_incidents: false\n")
    _ = try s.incident(["alert", "--policy", policy], stdin: alert("q", "firing", at: "2026-11-01T09:00:00Z") + "\n")
    let r = try s.incident(
      ["alert", "--policy", policy], stdin: alert("q", "resolved", at: "2026-11-01T09:30:00Z") + "\n")
    #expect(r.records.first?["status"] as? String == "new")
  }

  @Test func aFeedThatPausesCommitsEachBurstAndHoldsNoLock() throws {
    let s = try Sandbox()
    let feed = Process()
    feed.executableURL = Sandbox.binaries.appendingPathComponent("itsm-incident")
    feed.arguments = ["alert"]
    feed.environment = s.environment
    let input = Pipe()
    let output = Pipe()
    feed.standardInput = input
    feed.standardOutput = output
    feed.standardError = FileHandle.nullDevice
    try feed.run()
    input.fileHandleForWriting.write(Data((alert("q", "firing", at: "2026-11-01T09:00:00Z") + "\n").utf8))
    // The burst is committed and printed while the feed waits for more.
    let first = output.fileHandleForReading.availableData
    #expect(String(decoding: first, as: UTF8.self).contains(#""dedup_key":"q""#))
    let other = try s.incident(
      ["open", "--title", "t", "--service", "s", "--priority", "P3"], env: ["ITSM_BUSY_TIMEOUT": "2s"])
    #expect(other.status == 0)
    input.fileHandleForWriting.write(Data("not json\n".utf8))
    feed.waitUntilExit()
    #expect(feed.terminationStatus == 65)
    #expect(try s.incident(["list"]).records.count == 2)
  }

  @Test func unknownSeverityAndUnmatchedResolutions() throws {
    let s = try Sandbox()
    var r = try s.incident(
      ["alert"], stdin: #"{"dedup_key":"x","title":"t","service":"s","severity":"apocalyptic"}"# + "\n")
    #expect(r.status == 65)
    #expect(
      r.stderr.contains(
        "unknown severity 'apocalyptic' (the policy maps: critical, error, info, major, minor, warning)"))
    r = try s.incident(["alert"], stdin: alert("nobody", "resolved", at: "2026-11-01T09:00:00Z") + "\n")
    #expect(r.status == 0)
    #expect(r.stdout == "")
    #expect(r.stderr.contains("no open incident has dedup key 'nobody'"))
  }

  @Test func skipInvalidAlertsWriteTheRest() throws {
    let s = try Sandbox()
    let stream = alert("q", "firing", at: "2026-11-01T09:00:00Z") + "\n{}\n"
    let r = try s.incident(["alert", "--skip-invalid"], stdin: stream)
    #expect(r.status == 0)
    #expect(r.stderr.contains("1 written, 1 rejected"))
    #expect(r.stderr.contains(#""reason":"missing required field 'dedup_key'""#))
    #expect(r.records.count == 1)
  }

  @Test func openRefusesADedupKeyThatAnOpenIncidentHolds() throws {
    let s = try Sandbox()
    _ = try s.incident(["alert"], stdin: alert("q", "firing", at: "2026-11-01T09:00:00Z") + "\n")
    let before = try s.snapshot()
    let r = try s.incident(["open", "--title", "t", "--service", "mail", "--priority", "P2", "--dedup-key", "q"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("INC-1 is open with dedup key 'q'"))
    #expect(try s.snapshot() == before)
  }

  @Test func badAlertWritesNothing() throws {
    let s = try Sandbox()
    let stream =
      alert("q", "firing", at: "2026-11-01T09:00:00Z") + "\n" + #"{"dedup_key":"x","status":"burning"}"# + "\n"
    let r = try s.incident(["alert"], stdin: stream)
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:2: unknown status 'burning' (expected firing or resolved)"))
    #expect(try s.snapshot() == "")
  }
}
