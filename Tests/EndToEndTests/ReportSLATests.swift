import Foundation
import Testing

@Suite("itsm-report sla and escalation rates, end to end")
struct ReportSLATests {
  /// Five incidents on 2026-11-02 whose clocks are worked out by hand against the default
  /// targets (P1: response 15 min, resolution 90 min; P3: 4 h and 2 d).
  let fixture =
    [
      // met both: acknowledged after 10 min, resolved after 60
      #"{"id":"A","title":"a","service":"mail","priority":"P1","status":"resolved","opened_at":"2026-11-02T09:00:00Z","acknowledged_at":"2026-11-02T09:10:00Z","resolved_at":"2026-11-02T10:00:00Z"}"#,
      // breached both, stopped late: 20 min and 120 min
      #"{"id":"B","title":"b","service":"mail","priority":"P1","status":"resolved","opened_at":"2026-11-02T09:00:00Z","acknowledged_at":"2026-11-02T09:20:00Z","resolved_at":"2026-11-02T11:00:00Z"}"#,
      // never acknowledged, still open at noon: both clocks running past their targets
      #"{"id":"C","title":"c","service":"web","priority":"P1","status":"new","opened_at":"2026-11-02T09:00:00Z"}"#,
      // canceled before anyone acknowledged it: its clocks do not count
      #"{"id":"D","title":"d","service":"web","priority":"P1","status":"canceled","opened_at":"2026-11-02T09:00:00Z","canceled_at":"2026-11-02T09:05:00Z"}"#,
      // P3 acknowledged after 30 min (met), resolution still within its 2 days
      #"{"id":"E","title":"e","service":"web","priority":"P3","status":"acknowledged","opened_at":"2026-11-02T09:00:00Z","acknowledged_at":"2026-11-02T09:30:00Z"}"#,
    ].joined(separator: "\n") + "\n"

  func check(_ records: [[String: Any]]) {
    #expect(records.count == 2)
    let p1 = records.first { ($0["group"] as? [String: Any])?["priority"] as? String == "P1" }
    #expect(p1?["kind"] as? String == "sla.attainment")
    #expect(p1?["incidents"] as? Int == 3)
    #expect(p1?["response_target_min"] as? Double == 15)
    #expect(p1?["response_counted"] as? Int == 3)
    #expect(p1?["response_met"] as? Int == 1)
    #expect(p1?["response_breached"] as? Int == 2)
    #expect(p1?["response_attainment"] as? Double == 0.3333)
    #expect(p1?["resolution_counted"] as? Int == 3)
    #expect(p1?["resolution_met"] as? Int == 1)
    #expect(p1?["resolution_attainment"] as? Double == 0.3333)
    #expect(p1?["ever_breached"] as? Int == 2)
    #expect(p1?["breached_now"] as? Int == 1)
    let p3 = records.first { ($0["group"] as? [String: Any])?["priority"] as? String == "P3" }
    #expect(p3?["response_attainment"] as? Double == 1)
    #expect(p3?["resolution_counted"] as? Int == 0)
    #expect(p3?["resolution_attainment"] == nil)
    #expect(p3?["ever_breached"] as? Int == 0)
  }

  @Test func attainmentFromRecordsAndFromTheDatabaseAgreeWithTheHandCount() throws {
    let s = try Sandbox()
    let window = ["--since", "2026-11-02", "--until", "2026-11-03", "--now", "2026-11-02T12:00:00Z"]
    let piped = try s.run("itsm-report", ["sla", "--input", "-"] + window, stdin: fixture)
    #expect(piped.status == 0, "\(piped.stderr)")
    check(piped.records)
    #expect(try s.incident(["import", "-q", "--now", "2026-11-02T12:00:00Z"], stdin: fixture).status == 0)
    let stored = try s.run("itsm-report", ["sla"] + window)
    #expect(stored.status == 0, "\(stored.stderr)")
    check(stored.records)
  }

  @Test func anEmptyWindowPrintsNothingAndBadInputIsRefused() throws {
    let s = try Sandbox()
    var r = try s.run(
      "itsm-report", ["sla", "--since", "2025-01-01", "--until", "2025-02-01", "--input", "-"], stdin: fixture)
    #expect(r.status == 0 && r.stdout.isEmpty)
    r = try s.run("itsm-report", ["sla", "--since", "2026-11-03", "--until", "2026-11-02"])
    #expect(r.status == 64)
    r = try s.run("itsm-report", ["sla", "--by", "colour"])
    #expect(r.status == 64)
    r = try s.run("itsm-report", ["sla", "--input", "-"], stdin: fixture + "{not json\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:6:"))
  }

  @Test func aClockOnHoldIsPausedNotBreached() throws {
    let s = try Sandbox()
    // P2 (resolution target 160 min) opened 09:00, on hold from 09:30: at 12:00 (180 min
    // after opening) only 30 minutes have run.
    let id = try s.open("Waiting for the vendor", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P2"])
    _ = try s.incident(["ack", id, "--now", "2026-11-02T09:05:00Z"])
    _ = try s.incident(["hold", id, "--reason", "vendor", "--now", "2026-11-02T09:30:00Z"])
    #expect(try s.escalate(["tick", "-q", "--now", "2026-11-02T09:31:00Z"]).status == 0)
    let r = try s.run("itsm-report", ["sla", "--since", "2026-11-02", "--now", "2026-11-02T12:00:00Z"])
    #expect(r.records.first?["resolution_counted"] as? Int == 0)
    #expect(r.records.first?["breached_now"] as? Int == 0)
    let digest = try s.run("itsm-report", ["summary", "--day", "2026-11-02", "--now", "2026-11-02T12:00:00Z"])
    #expect((digest.records.first?["sla_breaches"] as? [Any])?.isEmpty == true)
  }

  @Test func escalationRatesSplitTimeoutsFromManualEscalations() throws {
    let s = try Sandbox()
    let p1 = try s.open("Payments down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"])
    let byHand = try s.open("Slow reports", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P3"])
    let quiet = try s.open("Printer", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P3"])
    _ = try s.incident(["ack", quiet, "--now", "2026-11-02T09:01:00Z"])
    #expect(try s.escalate(["tick", "-q", "--now", "2026-11-02T09:06:00Z"]).status == 0)  // P1 to level 2
    #expect(try s.escalate(["escalate", byHand, "--reason", "VIP", "--now", "2026-11-02T09:07:00Z"]).status == 0)
    let r = try s.run("itsm-report", ["metrics", "--now", "2026-11-02T10:00:00Z"])
    let m = r.records.first
    #expect(m?["incidents"] as? Int == 3)
    #expect(m?["escalation_rate"] as? Double == 0.6667)
    #expect(m?["escalation_timeout_rate"] as? Double == 0.3333)
    #expect(m?["escalation_manual_rate"] as? Double == 0.3333)
    #expect(!p1.isEmpty)
  }
}
