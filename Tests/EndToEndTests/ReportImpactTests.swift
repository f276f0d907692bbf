import Foundation
import Testing

@Suite("itsm-report impact and repeats, end to end")
struct ReportImpactTests {
  let fixture =
    [
      // 100 users x 120 min from impact start = 200 h; at the default 50/h: 10,000
      #"{"id":"i1","title":"a","service":"mail","priority":"P2","impact_type":"production","users_affected":100,"root_cause":"Disk full","status":"resolved","started_at":"2026-10-01T08:30:00Z","opened_at":"2026-10-01T09:00:00Z","resolved_at":"2026-10-01T10:30:00Z"}"#,
      // 10 users x 60 min = 10 h: 500
      #"{"id":"i2","title":"b","service":"mail","priority":"P3","impact_type":"crm","users_affected":10,"root_cause":" disk full ","status":"resolved","opened_at":"2026-10-02T09:00:00Z","resolved_at":"2026-10-02T10:00:00Z"}"#,
      // 5 users x 30 min = 2.5 h: 125
      #"{"id":"i3","title":"c","service":"web","priority":"P3","impact_type":"production","users_affected":5,"root_cause":"cert","status":"resolved","opened_at":"2026-10-03T09:00:00Z","resolved_at":"2026-10-03T09:30:00Z"}"#,
      // no users known: counted, no loss
      #"{"id":"i4","title":"d","service":"web","priority":"P3","impact_type":"production","root_cause":"Cert","status":"resolved","opened_at":"2026-10-03T12:00:00Z","resolved_at":"2026-10-03T13:00:00Z"}"#,
      // the same cause as i2, 44 days later
      #"{"id":"i5","title":"e","service":"mail","priority":"P3","root_cause":"disk full","status":"new","opened_at":"2026-11-15T09:00:00Z"}"#,
    ].joined(separator: "\n") + "\n"

  @Test func lostHoursAndCostPerImpactTypeByHand() throws {
    let s = try Sandbox()
    let r = try s.run("itsm-report", ["impact", "--input", "-", "--until", "2026-11-01"], stdin: fixture)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.count == 2)
    let production = r.records.first
    #expect((production?["group"] as? [String: Any])?["impact_type"] as? String == "production")
    #expect(production?["incidents"] as? Int == 3)
    #expect(production?["with_loss"] as? Int == 2)
    #expect(production?["users_affected"] as? Int == 105)
    #expect(production?["productivity_loss_hours"] as? Double == 202.5)
    #expect(production?["financial_impact"] as? Double == 10125)
    #expect(production?["currency"] as? String == "USD")
    let crm = r.records.last
    #expect(crm?["productivity_loss_hours"] as? Double == 10)
    #expect(crm?["financial_impact"] as? Double == 500)
    // From the database, the same.
    #expect(try s.incident(["import", "-q", "--now", "2026-11-20T00:00:00Z"], stdin: fixture).status == 0)
    let stored = try s.run("itsm-report", ["impact", "--until", "2026-11-01"])
    #expect(stored.stdout == r.stdout)
  }

  @Test func repeatsBySameServiceAndCauseWithinTheWindow() throws {
    let s = try Sandbox()
    var r = try s.run("itsm-report", ["repeats", "--input", "-"], stdin: fixture)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.map { $0["service"] as? String ?? "" } == ["mail", "web"])
    #expect(r.records.first?["root_cause"] as? String == "disk full")
    #expect(r.records.first?["ids"] as? [String] == ["i1", "i2"])
    #expect(r.records.first?["repeats"] as? Int == 1)
    #expect(r.records.first?["productivity_loss_hours"] as? Double == 210)
    #expect(r.records.last?["ids"] as? [String] == ["i3", "i4"])
    r = try s.run("itsm-report", ["repeats", "--input", "-", "--window", "60d"], stdin: fixture)
    #expect(r.records.first?["ids"] as? [String] == ["i1", "i2", "i5"])
    #expect(r.records.first?["repeats"] as? Int == 2)
    // Only repeats opened in the window are reported; the earlier incident still counts.
    #expect(try s.incident(["import", "-q", "--now", "2026-11-20T00:00:00Z"], stdin: fixture).status == 0)
    r = try s.run("itsm-report", ["repeats", "--since", "2026-10-02", "--until", "2026-10-03"])
    #expect(r.records.count == 1)
    #expect(r.records.first?["ids"] as? [String] == ["i1", "i2"])
    r = try s.run("itsm-report", ["repeats", "--window", "soon"])
    #expect(r.status == 64)
  }
}
