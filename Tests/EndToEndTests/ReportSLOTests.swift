import Foundation
import Testing

@Suite("itsm-report slo, end to end")
struct ReportSLOTests {
  @Test func availabilityBudgetsAndBurnRatesByHand() throws {
    let s = try Sandbox()
    let policy = try s.write(
      "slo.yaml", "services:\n  pay: {tier: critical}\n  web: {tier: important, slo: 99%}\n")
    let records =
      [
        // major, 10:00-11:00
        #"{"id":"p1","title":"a","service":"pay","impact":1,"urgency":1,"status":"resolved","started_at":"2026-11-29T10:00:00Z","opened_at":"2026-11-29T10:05:00Z","resolved_at":"2026-11-29T11:00:00Z"}"#,
        // partial by its tag, 10:30-12:30: the half hour it shares with p1 counts once, at 1.0
        #"{"id":"p2","title":"b","service":"pay","impact":1,"urgency":2,"tags":{"outage":"partial"},"status":"resolved","opened_at":"2026-11-29T10:30:00Z","resolved_at":"2026-11-29T12:30:00Z"}"#,
        // degraded: weight 0
        #"{"id":"p3","title":"c","service":"pay","impact":3,"urgency":1,"status":"resolved","opened_at":"2026-11-29T13:00:00Z","resolved_at":"2026-11-29T20:00:00Z"}"#,
        // canceled: not an outage
        #"{"id":"p4","title":"d","service":"pay","impact":1,"urgency":1,"status":"canceled","opened_at":"2026-11-29T14:00:00Z","canceled_at":"2026-11-29T15:00:00Z"}"#,
        // still open, the last hour
        #"{"id":"w1","title":"e","service":"web","impact":1,"urgency":1,"status":"new","opened_at":"2026-11-29T23:00:00Z"}"#,
      ].joined(separator: "\n") + "\n"
    let args = ["slo", "--policy", policy, "--now", "2026-11-30T00:00:00Z"]
    let r = try s.run("itsm-report", args + ["--input", "-"], stdin: records)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.map { $0["service"] as? String ?? "" } == ["pay", "web"])
    let pay = r.records[0]
    // 60 min at 1.0 + 90 min at 0.3 = 87 bad minutes of 43,200; the budget is 43.2 minutes.
    #expect(pay["target"] as? Double == 0.999)
    #expect(pay["availability"] as? Double == 0.997986)
    #expect(pay["error_budget_min"] as? Double == 43.2)
    #expect(pay["budget_spent_min"] as? Double == 87)
    #expect(pay["budget_remaining_min"] as? Double == -43.8)
    #expect(pay["budget_remaining_ratio"] as? Double == -1.0139)
    #expect(pay["burn_rate_30d"] as? Double == 2.01)
    #expect(pay["burn_rate_3d"] as? Double == 20.14)
    #expect(pay["burn_rate_6h"] as? Double == 0)
    #expect(pay["alert"] as? String == "none")
    #expect(pay["budget_exhausted"] as? Bool == true)
    let web = r.records[1]
    // 60 bad minutes, all in the last hour: budget 432 minutes, burn 100 over 1 h and 5 min.
    #expect(web["target"] as? Double == 0.99)
    #expect(web["availability"] as? Double == 0.998611)
    #expect(web["burn_rate_1h"] as? Double == 100)
    #expect(web["burn_rate_6h"] as? Double == 16.67)
    #expect(web["burn_rate_3d"] as? Double == 1.39)
    #expect(web["burn_rate_30d"] as? Double == 0.14)
    #expect(web["alert"] as? String == "page")
    // The database gives the same; --check exits 3.
    #expect(try s.incident(["import", "-q", "--now", "2026-11-30T00:00:00Z"], stdin: records).status == 0)
    let stored = try s.run("itsm-report", args + ["--check"])
    #expect(stored.status == 3)
    #expect(stored.stdout == r.stdout)
    #expect(stored.stderr.contains("2 services page or have exhausted their error budget"))
    let one = try s.run("itsm-report", args + ["--service", "web"])
    #expect(one.records.count == 1)
    #expect(try s.run("itsm-report", args + ["--service", "nowhere"]).status == 1)
  }

  @Test func aServiceWithNoIncidentsHasItsWholeBudget() throws {
    let s = try Sandbox()
    let policy = try s.write("slo.yaml", "services:\n  dns: {tier: vital}\n")
    let r = try s.run("itsm-report", ["slo", "--policy", policy, "--now", "2026-11-30T00:00:00Z"])
    #expect(r.records.first?["availability"] as? Double == 1)
    #expect(r.records.first?["error_budget_min"] as? Double == 21.6)
    #expect(r.records.first?["budget_remaining_ratio"] as? Double == 1)
    #expect(r.records.first?["alert"] as? String == "none")
  }
}
