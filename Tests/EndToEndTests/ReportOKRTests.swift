import Foundation
import Testing

@Suite("itsm-report okr, end to end")
struct ReportOKRTests {
  @Test func keyResultsFromThePolicyAreMeasuredByHandCount() throws {
    let s = try Sandbox()
    let policy = try s.write(
      "okr.yaml",
      """
      okr:
        key_results:
          - {name: "P1 within 90 min", measure: resolved_within, priority: P1, within: 90m, target: 100%}
          - {name: "acknowledged within 10 min", measure: acknowledged_within, within: 10m, target: 0.5}
          - {name: "at L0/L1", measure: shift_left, target: 40%}
          - {name: "P5 within 1 day", measure: resolved_within, priority: P5, within: 1d, target: 90%}
      """)
    // October 2026: P1 a (60 min, L1), P1 b (120 min, L2), P3 c (acknowledged after 5 min,
    // resolved at L0); d opened in September but resolved in October (counts for resolutions
    // only); e opened in November (outside).
    let records =
      [
        #"{"id":"a","title":"a","service":"mail","priority":"P1","tier":"L1","status":"resolved","opened_at":"2026-10-05T09:00:00Z","acknowledged_at":"2026-10-05T09:20:00Z","resolved_at":"2026-10-05T10:00:00Z"}"#,
        #"{"id":"b","title":"b","service":"mail","priority":"P1","tier":"L2","status":"resolved","opened_at":"2026-10-06T09:00:00Z","acknowledged_at":"2026-10-06T09:05:00Z","resolved_at":"2026-10-06T11:00:00Z"}"#,
        #"{"id":"c","title":"c","service":"web","priority":"P3","tier":"L0","status":"resolved","opened_at":"2026-10-07T09:00:00Z","acknowledged_at":"2026-10-07T09:05:00Z","resolved_at":"2026-10-08T09:00:00Z"}"#,
        #"{"id":"d","title":"d","service":"web","priority":"P1","tier":"L3","status":"resolved","opened_at":"2026-09-30T23:00:00Z","acknowledged_at":"2026-10-01T00:30:00Z","resolved_at":"2026-10-01T00:40:00Z"}"#,
        #"{"id":"e","title":"e","service":"web","priority":"P1","status":"new","opened_at":"2026-11-02T09:00:00Z"}"#,
      ].joined(separator: "\n") + "\n"
    #expect(try s.incident(["import", "-q", "--now", "2026-11-03T00:00:00Z"], stdin: records).status == 0)
    let r = try s.run("itsm-report", ["okr", "--period", "2026-10", "--policy", policy, "--check"])
    #expect(r.status == 3)
    #expect(r.stderr.contains("1 key results missed their target in 2026-10"))
    let byName = Dictionary(uniqueKeysWithValues: r.records.map { ($0["name"] as? String ?? "", $0) })
    // P1 resolved in October: a (60), b (120), d (100 min): 1 of 3 within 90 min.
    #expect(byName["P1 within 90 min"]?["counted"] as? Int == 3)
    #expect(byName["P1 within 90 min"]?["actual"] as? Double == 0.3333)
    #expect(byName["P1 within 90 min"]?["met"] as? Bool == false)
    // Opened in October: a (20 min), b (5), c (5): 2 of 3.
    #expect(byName["acknowledged within 10 min"]?["actual"] as? Double == 0.6667)
    #expect(byName["acknowledged within 10 min"]?["met"] as? Bool == true)
    // Resolved in October at L0/L1: a, c of a, b, c, d.
    #expect(byName["at L0/L1"]?["actual"] as? Double == 0.5)
    // Nothing to count: no actual, no verdict, not a miss.
    #expect(byName["P5 within 1 day"]?["counted"] as? Int == 0)
    #expect(byName["P5 within 1 day"]?["actual"] == nil)
    #expect(byName["P5 within 1 day"]?["met"] == nil)
    // The same from records on stdin.
    let piped = try s.run(
      "itsm-report", ["okr", "--period", "2026-10", "--policy", policy, "--input", "-"], stdin: records)
    #expect(piped.stdout == r.stdout)
  }

  @Test func badPeriodsAndBadKeyResultsAreRefused() throws {
    let s = try Sandbox()
    var r = try s.run("itsm-report", ["okr", "--period", "2026Q5"])
    #expect(r.status == 64)
    let policy = try s.write("bad.yaml", "okr:\n  key_results:\n    - {name: x, measure: happiness, target: 1}\n")
    r = try s.run("itsm-report", ["okr", "--policy", policy])
    #expect(r.status == 78)
    #expect(r.stderr.contains("bad.yaml:3: okr.key_results[0].measure: unknown measure 'happiness'"))
  }
}
