import Foundation
import Testing

@Suite("itsm-report health, end to end")
struct ReportHealthTests {
  /// September: 2 incidents; October: 3, one of them a P1 resolved in 60 min.
  let fixture =
    [
      #"{"id":"s1","title":"a","service":"mail","priority":"P3","impact":2,"urgency":2,"users_affected":10,"status":"resolved","opened_at":"2026-09-10T09:00:00Z","acknowledged_at":"2026-09-10T09:30:00Z","resolved_at":"2026-09-10T11:00:00Z"}"#,
      #"{"id":"s2","title":"b","service":"mail","priority":"P3","status":"resolved","opened_at":"2026-09-20T09:00:00Z","acknowledged_at":"2026-09-20T09:10:00Z","resolved_at":"2026-09-20T10:00:00Z"}"#,
      #"{"id":"o1","title":"<script>alert(1)</script>","service":"pay","priority":"P1","impact":1,"urgency":1,"users_affected":100,"root_cause":"disk","status":"resolved","opened_at":"2026-10-05T09:00:00Z","acknowledged_at":"2026-10-05T09:05:00Z","resolved_at":"2026-10-05T10:00:00Z"}"#,
      #"{"id":"o2","title":"d","service":"pay","priority":"P2","root_cause":"Disk","status":"resolved","opened_at":"2026-10-12T09:00:00Z","acknowledged_at":"2026-10-12T09:10:00Z","resolved_at":"2026-10-12T12:00:00Z"}"#,
      #"{"id":"o3","title":"e","service":"web","priority":"P4","status":"new","opened_at":"2026-10-20T09:00:00Z"}"#,
      // a service name with markup: it reaches the lost-hours table, escaped
      #"{"id":"o4","title":"f","service":"<script>x</script>","priority":"P4","users_affected":1,"status":"resolved","opened_at":"2026-10-21T09:00:00Z","resolved_at":"2026-10-21T10:00:00Z"}"#,
    ].joined(separator: "\n") + "\n"

  @Test func aSelfContainedHTMLFileAndMarkdownWithTheFigures() throws {
    let s = try Sandbox()
    let policy = try s.write(
      "p.yaml", "services:\n  pay: {tier: critical}\n  mail: {tier: important}\n  web: {tier: deferrable}\n")
    #expect(
      try s.incident(["import", "-q", "--policy", policy, "--now", "2026-11-01T00:00:00Z"], stdin: fixture).status == 0)
    let file = s.path("health.html")
    var r = try s.run(
      "itsm-report",
      ["health", "--month", "2026-10", "--policy", policy, "--now", "2026-11-01T09:00:00Z", "--output", file])
    #expect(r.status == 0, "\(r.stderr)")
    let html = try String(contentsOfFile: file, encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>"))
    #expect(html.contains("<svg"))
    // Self-contained: no script, no stylesheet or image fetched from anywhere.
    #expect(!html.contains("<script"))
    #expect(!html.contains("src="))
    #expect(!html.contains("<link"))
    #expect(!html.contains("href="))
    // Incidents 4 against 2: up 100 %, which is worse.
    #expect(
      html.contains("<div class=\"value\">4</div><div class=\"delta\"><span class=\"bad\">▲ 100.0 %</span> vs 2</div>"))
    #expect(html.contains("<td>&lt;script&gt;x&lt;/script&gt;</td>"))
    // Every week of October on the time axis, the quiet ones too (W40 to W44).
    #expect(html.contains(">W40</text>") && html.contains(">W44</text>"))
    #expect(html.contains("Availability of vital and critical services"))
    #expect(html.contains("<td>pay</td><td>critical</td>"))
    #expect(html.contains("Absent: no open failure modes registered (itsm-fmea)."))
    #expect(html.contains("Absent: no data in this database yet."))
    r = try s.run(
      "itsm-report",
      ["health", "--month", "2026-10", "--policy", policy, "--now", "2026-11-01T09:00:00Z", "--format", "markdown"])
    #expect(r.status == 0)
    #expect(r.stdout.contains("# Production health: 2026-10"))
    #expect(r.stdout.contains("| Incidents | 4 | 2 | ▲ 100.0 % (worse) |"))
    // The P1 met its 90 min resolution, the P2 missed its 160 min: 1 of 2 ... plus the P4 open.
    #expect(r.stdout.contains("| P1 | 100.0 % | 100.0 % | 0 |"))
    #expect(r.stdout.contains("| pay | disk | 1 |"))
    // An empty quarter: a report with nothing in it, no NaN.
    r = try s.run("itsm-report", ["health", "--quarter", "2025Q1", "--format", "markdown"])
    #expect(r.status == 0)
    #expect(!r.stdout.contains("nan") && !r.stdout.contains("NaN") && !r.stdout.contains("inf"))
  }

  @Test func theTopFMEARisksOnceTheRegisterHasModes() throws {
    let s = try Sandbox()
    let policy = try s.write("p.yaml", "services:\n  pay: {tier: critical}\n  mail: {tier: important}\n")
    #expect(try s.incident(["import", "-q", "--policy", policy], stdin: fixture).status == 0)
    let modes = [
      #"{"id":"FM-1","service":"mail","component":"relay","failure_mode":"stalls","effect":"late","cause":"q","severity":4,"occurrence":4,"detection":4}"#,
      #"{"id":"FM-2","service":"pay","component":"disk","failure_mode":"fills up","effect":"down","cause":"disk","severity":9,"occurrence":8,"detection":2,"owner":"team:payments"}"#,
    ].joined(separator: "\n")
    #expect(try s.fmea(["import", "-q", "--policy", policy], stdin: modes).status == 0)
    let r = try s.run(
      "itsm-report",
      ["health", "--month", "2026-10", "--policy", policy, "--now", "2026-11-01T09:00:00Z", "--format", "markdown"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stdout.contains("## Top FMEA risks"))
    // FM-2 (AP H) first; its service's incidents with root cause disk (o1, o2) count.
    let rows = r.stdout.split(separator: "\n").filter { $0.hasPrefix("| FM-") }
    #expect(rows.count == 2)
    #expect(rows.first?.hasPrefix("| FM-2 | pay | disk | fills up | H | 144 | 2 |") == true, "\(rows)")
    #expect(!r.stdout.contains("no open failure modes"))
  }

  @Test func badArgumentsAreUsageErrors() throws {
    let s = try Sandbox()
    #expect(try s.run("itsm-report", ["health"]).status == 64)
    #expect(try s.run("itsm-report", ["health", "--month", "2026-10", "--quarter", "2026Q4"]).status == 64)
    #expect(try s.run("itsm-report", ["health", "--month", "2026Q4"]).status == 64)
    #expect(try s.run("itsm-report", ["health", "--month", "2026-10", "--format", "csv"]).status == 64)
    #expect(try s.run("itsm-report", ["metrics", "--format", "html"]).status == 64)
  }
}
