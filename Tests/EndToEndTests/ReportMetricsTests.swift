import Foundation
import Testing

/// `itsm-report metrics` over a hand-built fixture; every expected figure is worked out by
/// hand in the comments, not by the code under test.
@Suite("itsm-report metrics, end to end")
struct ReportMetricsTests {
  static let fixture =
    [
      // P1, in the window 2026-10.
      // A: TTA 5, TTR 60, L1, mail/cert, 10 users x 60 min = 600 user-min, cost 600/60*50 = 500.
      #"{"id":"A","title":"a","service":"mail","priority":"P1","tier":"L1","root_cause":"cert","users_affected":10,"opened_at":"2026-10-01T00:00:00Z","acknowledged_at":"2026-10-01T00:05:00Z","resolved_at":"2026-10-01T01:00:00Z"}"#,
      // B: TTA 10, TTR 120, L2, mail/cert a day after A: a repeat. 20 x 120 = 2400, cost 2000.
      #"{"id":"B","title":"b","service":"mail","priority":"P1","tier":"L2","root_cause":"cert","users_affected":20,"opened_at":"2026-10-02T00:00:00Z","acknowledged_at":"2026-10-02T00:10:00Z","resolved_at":"2026-10-02T02:00:00Z"}"#,
      // C: TTA 15, first resolution 30 (TTR), reopened, resolved again at 90; L0; 5 x 90 = 450, cost 375.
      #"{"id":"C","title":"c","service":"vpn","priority":"P1","tier":"L0","root_cause":"disk","users_affected":5,"reopen_count":1,"opened_at":"2026-10-03T00:00:00Z","acknowledged_at":"2026-10-03T00:15:00Z","first_resolved_at":"2026-10-03T00:30:00Z","resolved_at":"2026-10-03T01:30:00Z"}"#,
      // D: never acknowledged, open.
      #"{"id":"D","title":"d","service":"vpn","priority":"P1","opened_at":"2026-10-04T00:00:00Z"}"#,
      // P3. H: before the window; only an earlier occurrence of crm/quota.
      #"{"id":"H","title":"h","service":"crm","priority":"P3","root_cause":"quota","opened_at":"2026-09-20T00:00:00Z","acknowledged_at":"2026-09-20T00:01:00Z","resolved_at":"2026-09-20T01:00:00Z"}"#,
      // E: impact began an hour before opening; TTA 30, TTR 240 (restore 300); L2; 2 x 300 = 600, cost 500.
      #"{"id":"E","title":"e","service":"crm","priority":"P3","tier":"L2","root_cause":"bad deploy","users_affected":2,"started_at":"2026-10-09T23:00:00Z","opened_at":"2026-10-10T00:00:00Z","acknowledged_at":"2026-10-10T00:30:00Z","resolved_at":"2026-10-10T04:00:00Z"}"#,
      // F: TTA 90, TTR 600, L3; "Bad Deploy " is E's cause two days later: a repeat. No users.
      #"{"id":"F","title":"f","service":"crm","priority":"P3","tier":"L3","root_cause":"Bad Deploy ","opened_at":"2026-10-12T00:00:00Z","acknowledged_at":"2026-10-12T01:30:00Z","resolved_at":"2026-10-12T10:00:00Z"}"#,
      // I: TTA 20, TTR 100, L1; crm/quota 25 days after H: a repeat. 1 x 100 = 100, cost 83.33.
      #"{"id":"I","title":"i","service":"crm","priority":"P3","tier":"L1","root_cause":"quota","users_affected":1,"opened_at":"2026-10-15T00:00:00Z","acknowledged_at":"2026-10-15T00:20:00Z","resolved_at":"2026-10-15T01:40:00Z"}"#,
      // G: TTA 60, still in progress.
      #"{"id":"G","title":"g","service":"crm","priority":"P3","status":"in_progress","opened_at":"2026-10-20T00:00:00Z","acknowledged_at":"2026-10-20T01:00:00Z"}"#,
    ].joined(separator: "\n") + "\n"

  static let window = ["--since", "2026-10-01", "--until", "2026-11-01"]

  func loaded() throws -> Sandbox {
    let s = try Sandbox()
    let r = try s.incident(["import"], stdin: Self.fixture)
    #expect(r.status == 0, "\(r.stderr)")
    return s
  }

  func expectP1(_ m: [String: Any]?) {
    #expect(m?["incidents"] as? Int == 4)
    #expect(m?["acknowledged"] as? Int == 3)
    #expect(m?["unacknowledged"] as? Int == 1)
    // TTA [5, 10, 15]: mean 10; p50 10; p90 at rank 0.9 x 2 = 1.8: 10 + 0.8 x 5 = 14.
    #expect(m?["mtta_mean_min"] as? Double == 10.0)
    #expect(m?["mtta_p50_min"] as? Double == 10.0)
    #expect(m?["mtta_p90_min"] as? Double == 14.0)
    // TTR [30, 60, 120]: mean 70; p50 60; p90: 60 + 0.8 x 60 = 108.
    #expect(m?["mttr_variant"] as? String == "resolve")
    #expect(m?["mttr_mean_min"] as? Double == 70.0)
    #expect(m?["mttr_p50_min"] as? Double == 60.0)
    #expect(m?["mttr_p90_min"] as? Double == 108.0)
    #expect(m?["resolved"] as? Int == 3)
    #expect(m?["reopen_rate"] as? Double == 0.3333)  // C of A, B, C
    #expect(m?["shift_left_rate"] as? Double == 0.6667)  // A (L1), C (L0)
    #expect(m?["repeat_rate"] as? Double == 0.25)  // B of four
    #expect(m?["productivity_loss_hours"] as? Double == 57.5)  // (600 + 2400 + 450) / 60
    #expect(m?["financial_impact"] as? Double == 2875.0)  // 500 + 2000 + 375
  }

  func expectP3(_ m: [String: Any]?) {
    #expect(m?["incidents"] as? Int == 4)  // E, F, I, G (H is before the window)
    // TTA [20, 30, 60, 90]: mean 50; p50 at 1.5: 30 + 0.5 x 30 = 45; p90 at 2.7: 60 + 0.7 x 30 = 81.
    #expect(m?["mtta_mean_min"] as? Double == 50.0)
    #expect(m?["mtta_p50_min"] as? Double == 45.0)
    #expect(m?["mtta_p90_min"] as? Double == 81.0)
    // TTR [100, 240, 600]: mean 313.3; p50 240; p90: 240 + 0.8 x 360 = 528.
    #expect(m?["mttr_mean_min"] as? Double == 313.3)
    #expect(m?["mttr_p50_min"] as? Double == 240.0)
    #expect(m?["mttr_p90_min"] as? Double == 528.0)
    #expect(m?["reopen_rate"] as? Double == 0.0)
    #expect(m?["shift_left_rate"] as? Double == 0.3333)  // I
    #expect(m?["repeat_rate"] as? Double == 0.5)  // F and I
    #expect(m?["productivity_loss_hours"] as? Double == 11.7)  // (600 + 100) / 60 = 11.67
    #expect(m?["financial_impact"] as? Double == 583.33)  // 500 + 83.33
  }

  @Test func fromTheDatabaseByPriority() throws {
    let s = try loaded()
    let r = try s.run("itsm-report", ["metrics", "--by", "priority"] + Self.window)
    #expect(r.status == 0)
    #expect(r.stderr == "")
    #expect(r.records.count == 2)
    #expect((r.records[0]["group"] as? [String: Any])?["priority"] as? String == "P1")
    expectP1(r.records.first)
    expectP3(r.records.last)
  }

  @Test func fromRecordsOnStdinTheSame() throws {
    let s = try loaded()
    let r = try s.shell(
      "itsm-incident export | itsm-report metrics --input - --by priority " + Self.window.joined(separator: " "))
    #expect(r.status == 0, "\(r.stderr)")
    expectP1(r.records.first)
    expectP3(r.records.last)
  }

  @Test func restoreVariantCountsFromImpactStart() throws {
    let s = try loaded()
    let r = try s.run("itsm-report", ["metrics", "--by", "priority", "--variant", "restore"] + Self.window)
    let p3 = r.records.last
    // Restore [100, 300 (E from its impact start), 600]: mean 333.3, p50 300, p90 300 + 0.8 x 300 = 540.
    #expect(p3?["mttr_variant"] as? String == "restore")
    #expect(p3?["mttr_mean_min"] as? Double == 333.3)
    #expect(p3?["mttr_p50_min"] as? Double == 300.0)
    #expect(p3?["mttr_p90_min"] as? Double == 540.0)
  }

  @Test func respondVariantUsesTheFirstHumanAction() throws {
    let s = try Sandbox()
    let id = try s.open(at: "2026-10-05T10:00:00Z")
    _ = try s.incident(["note", id, "looking", "--now", "2026-10-05T10:03:00Z"])
    _ = try s.incident(["ack", id, "--now", "2026-10-05T10:07:00Z"])
    let r = try s.run("itsm-report", ["metrics", "--variant", "respond"] + Self.window)
    #expect(r.records.first?["mttr_mean_min"] as? Double == 3.0)
    #expect(r.records.first?["mtta_mean_min"] as? Double == 7.0)
  }

  @Test func groupsCombineAndNameTheVariantInTables() throws {
    let s = try loaded()
    var r = try s.run("itsm-report", ["metrics", "--by", "service", "--by", "month"] + Self.window)
    let groups = r.records.map { ($0["group"] as? [String: Any]).map { "\($0["service"] ?? "")/\($0["month"] ?? "")" } }
    #expect(groups == ["crm/2026-10", "mail/2026-10", "vpn/2026-10"])
    r = try s.run("itsm-report", ["metrics", "--by", "priority", "--format", "table"] + Self.window)
    #expect(r.stdout.contains("MTTR(RESOLVE) MEAN"))
  }

  @Test func emptyWindowPrintsNothing() throws {
    let s = try loaded()
    let r = try s.run("itsm-report", ["metrics", "--since", "2030-01-01"])
    #expect(r.status == 0)
    #expect(r.stdout == "")
  }

  @Test func badFlagsAndBadRecords() throws {
    let s = try loaded()
    var r = try s.run("itsm-report", ["metrics", "--since", "2026-11-01", "--until", "2026-10-01"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--since (2026-11-01T00:00:00Z) is after --until"))
    r = try s.run("itsm-report", ["metrics", "--by", "colour"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("'colour' is invalid"))
    #expect(r.stderr.contains("month"))
    r = try s.run("itsm-report", ["metrics", "--input", "-"], stdin: Self.fixture + "{oops\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:10: invalid JSON"))
    r = try s.run(
      "itsm-report", ["metrics", "--input", "-"],
      stdin:
        #"{"id":"X","title":"t","service":"s","priority":"P2","opened_at":"2026-10-02T00:00:00Z","acknowledged_at":"2026-10-01T00:00:00Z"}"#
        + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("acknowledged_at (2026-10-01T00:00:00Z) is before opened_at"))
    r = try s.run(
      "itsm-report", ["metrics", "--input", "-", "--skip-invalid"] + Self.window, stdin: Self.fixture + "{oops\n")
    #expect(r.status == 0)
    #expect(r.records.first?["incidents"] as? Int == 8)
    r = try s.run("itsm-report", ["metrics", "--input", "-", "--variant", "respond"], stdin: "")
    #expect(r.status == 64)
  }
}
