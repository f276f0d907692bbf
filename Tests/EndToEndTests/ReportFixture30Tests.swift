import Foundation
import Testing

/// Thirty hand-built incidents in October 2026, ten per priority, built by simple rules so that
/// every figure below can be checked with pencil and paper (the working is in the comments).
@Suite("itsm-report metrics over a 30-incident fixture")
struct ReportFixture30Tests {
  static func time(day: Int, minutes: Int = 0) -> String {
    String(format: "2026-10-%02dT%02d:%02d:00Z", day, minutes / 60, minutes % 60)
  }

  static let fixture: String = {
    var lines: [String] = []
    // P1, k = 1...10, opened on day k at 00:00: acknowledged after k minutes, resolved after
    // 10k minutes, 10 users; tiers L1 for k <= 4, else L2; k = 3 was reopened once; k = 1 and
    // k = 2 share mail/cert (a repeat), the others have causes of their own.
    for k in 1...10 {
      let cause = k <= 2 ? "cert" : "cause \(k)"
      let reopen = k == 3 ? 1 : 0
      lines.append(
        #"{"id":"P1-\#(k)","title":"t","service":"mail","priority":"P1","tier":"\#(k <= 4 ? "L1" : "L2")","root_cause":"\#(cause)","users_affected":10,"reopen_count":\#(reopen),"status":"resolved","opened_at":"\#(time(day: k))","acknowledged_at":"\#(time(day: k, minutes: k))","first_resolved_at":"\#(time(day: k, minutes: 10 * k))","resolved_at":"\#(time(day: k, minutes: 10 * k))"}"#
      )
    }
    // P2, k = 1...10, opened on day 10 + k: k <= 8 acknowledged after 10k minutes, k = 9 and 10
    // never; k <= 5 resolved after 60k minutes (tier L0 for k <= 2, else L3); no causes, no users.
    for k in 1...10 {
      var fields = #""id":"P2-\#(k)","title":"t","service":"vpn","priority":"P2","opened_at":"\#(time(day: 10 + k))""#
      if k <= 8 { fields += #","acknowledged_at":"\#(time(day: 10 + k, minutes: 10 * k))""# }
      if k <= 5 {
        fields +=
          #","status":"resolved","tier":"\#(k <= 2 ? "L0" : "L3")","resolved_at":"\#(time(day: 10 + k, minutes: 60 * k))""#
      } else {
        fields += #","status":"\#(k <= 8 ? "in_progress" : "new")""#
      }
      lines.append("{" + fields + "}")
    }
    // P3, k = 1...10, opened on day 20 + k (k = 10 on the 30th... day 30 is the last): all
    // acknowledged after 30 minutes, none resolved, all crm/quota one day apart: 9 repeats.
    for k in 1...10 {
      let day = min(20 + k, 31)
      lines.append(
        #"{"id":"P3-\#(k)","title":"t","service":"crm","priority":"P3","root_cause":"quota","status":"acknowledged","opened_at":"\#(time(day: day))","acknowledged_at":"\#(time(day: day, minutes: 30))"}"#
      )
    }
    return lines.joined(separator: "\n") + "\n"
  }()

  func check(_ records: [[String: Any]]) {
    func group(_ p: String) -> [String: Any]? {
      records.first { ($0["group"] as? [String: Any])?["priority"] as? String == p }
    }
    let p1 = group("P1")
    #expect(p1?["incidents"] as? Int == 10)
    // TTA 1..10: mean 5.5; p50 between the 5th and 6th, 5.5; p90 at rank 8.1: 9 + 0.1 = 9.1.
    #expect(p1?["mtta_mean_min"] as? Double == 5.5)
    #expect(p1?["mtta_p50_min"] as? Double == 5.5)
    #expect(p1?["mtta_p90_min"] as? Double == 9.1)
    // TTR 10..100: mean 55, p50 55, p90 91.
    #expect(p1?["mttr_mean_min"] as? Double == 55)
    #expect(p1?["mttr_p50_min"] as? Double == 55)
    #expect(p1?["mttr_p90_min"] as? Double == 91)
    // 1 reopened of 10 resolved; 4 at L1; 1 repeat of 10.
    #expect(p1?["reopen_rate"] as? Double == 0.1)
    #expect(p1?["shift_left_rate"] as? Double == 0.4)
    #expect(p1?["repeat_rate"] as? Double == 0.1)
    // 10 users x (10 + 20 + ... + 100 = 550) minutes = 5500 user-minutes = 91.67 h; x 50.
    #expect(p1?["productivity_loss_hours"] as? Double == 91.7)
    #expect(p1?["financial_impact"] as? Double == 4583.33)
    let p2 = group("P2")
    #expect(p2?["incidents"] as? Int == 10)
    #expect(p2?["acknowledged"] as? Int == 8)
    #expect(p2?["unacknowledged"] as? Int == 2)
    // TTA 10..80: mean 45, p50 45, p90 at rank 6.3: 70 + 0.3 x 10 = 73.
    #expect(p2?["mtta_mean_min"] as? Double == 45)
    #expect(p2?["mtta_p90_min"] as? Double == 73)
    // TTR 60..300 (5 resolved): mean 180, p50 180, p90 at rank 3.6: 240 + 0.6 x 60 = 276.
    #expect(p2?["mttr_count"] as? Int == 5)
    #expect(p2?["mttr_mean_min"] as? Double == 180)
    #expect(p2?["mttr_p90_min"] as? Double == 276)
    #expect(p2?["resolved"] as? Int == 5)
    #expect(p2?["reopen_rate"] as? Double == 0)
    #expect(p2?["shift_left_rate"] as? Double == 0.4)
    #expect(p2?["repeat_rate"] as? Double == 0)
    #expect(p2?["productivity_loss_hours"] as? Double == 0)
    let p3 = group("P3")
    #expect(p3?["mtta_p90_min"] as? Double == 30)
    // Nothing resolved: no MTTR, no reopen or shift-left rate (absent, not zero).
    #expect(p3?["mttr_mean_min"] == nil)
    #expect(p3?["reopen_rate"] == nil)
    #expect(p3?["shift_left_rate"] == nil)
    // 10 openings of crm/quota, each a day after the one before: 9 repeats.
    #expect(p3?["repeat_rate"] as? Double == 0.9)
    #expect(records.allSatisfy { $0["mttr_variant"] as? String == "resolve" })
  }

  @Test func fromRecordsAndFromTheDatabase() throws {
    let s = try Sandbox()
    let window = ["--since", "2026-10-01", "--until", "2026-11-01", "--by", "priority"]
    let piped = try s.run("itsm-report", ["metrics", "--input", "-"] + window, stdin: ReportFixture30Tests.fixture)
    #expect(piped.status == 0, "\(piped.stderr)")
    #expect(piped.records.count == 3)
    check(piped.records)
    #expect(
      try s.incident(["import", "-q", "--now", "2026-11-01T00:00:00Z"], stdin: ReportFixture30Tests.fixture).status == 0
    )
    let stored = try s.run("itsm-report", ["metrics"] + window)
    check(stored.records)
  }
}
