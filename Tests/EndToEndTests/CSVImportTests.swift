import Foundation
import Testing

@Suite("itsm-incident import from other tools' CSV")
struct CSVImportTests {
  static let jira = """
    Issue key,Summary,Component/s,Priority,Created,Resolved,Status,Labels
    OPS-1,"Mail down, again",mail,Highest,25/Nov/26 9:30 AM,25/Nov/26 11:00 AM,Done,outage
    OPS-2,"VPN
    flaky",vpn,Medium,24/Nov/26 2:05 PM,,In Progress,

    """
  static let jiraFlags = [
    "--map",
    "Issue key=id,Summary=title,Component/s=service,Created=opened_at,Resolved=resolved_at,Priority=priority,Status=jira_status",
    "--priority-map", "Highest=P1,High=P2,Medium=P3,Low=P4,Lowest=P5", "--date-format", "dd/MMM/yy h:mm a",
    "--timezone", "Europe/Berlin",
  ]

  @Test func aJiraExportByMapping() throws {
    let s = try Sandbox()
    let r = try s.incident(["import"] + CSVImportTests.jiraFlags, stdin: CSVImportTests.jira)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.first?["created"] as? Int == 2)
    let exported = try s.incident(["export"]).records
    let one = try #require(exported.first { $0["id"] as? String == "OPS-1" })
    #expect(one["title"] as? String == "Mail down, again")
    #expect(one["priority"] as? String == "P1")
    // 9:30 in Berlin in November (UTC+1) is 08:30 UTC.
    #expect(one["opened_at"] as? String == "2026-11-25T08:30:00Z")
    #expect(one["resolved_at"] as? String == "2026-11-25T10:00:00Z")
    #expect((one["extra"] as? [String: Any])?["Labels"] as? String == "outage")
    #expect((one["extra"] as? [String: Any])?["jira_status"] as? String == "Done")
    let two = try #require(exported.first { $0["id"] as? String == "OPS-2" })
    #expect(two["title"] as? String == "VPN\nflaky")
    #expect(two["resolved_at"] == nil)
    let before = try s.snapshot()
    let again = try s.incident(["import"] + CSVImportTests.jiraFlags, stdin: CSVImportTests.jira)
    #expect(again.records.first?["unchanged"] as? Int == 2)
    #expect(try s.snapshot() == before)
  }

  @Test(arguments: [
    ("2026-11-25 09:30:00", "2026-11-25T09:30:00Z"), ("25-11-2026 09:30", "2026-11-25T09:30:00Z"),
    ("11/25/2026 09:30:00 PM", "2026-11-25T21:30:00Z"), ("2026-11-25T09:30:00+02:00", "2026-11-25T07:30:00Z"),
  ])
  func theCommonInstanceDateFormatsAreDetected(text: String, utc: String) throws {
    let s = try Sandbox()
    let csv = "id,title,service,priority,opened_at\nX-1,t,mail,P3,\(text)\n"
    let r = try s.incident(["import", "--format", "csv"], stdin: csv)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try s.incident(["export"]).records.first?["opened_at"] as? String == utc)
  }

  @Test(arguments: [
    (
      "Issue key,Summary,Priority,Created\nA-1,t,High,2026-11-25 09:30:00\n",
      "<stdin>:1: missing column 'Component/s' (named in --map)"
    ),
    (
      "Issue key,Summary,Component/s,Priority,Created\nA-1,t,mail,High\n",
      "<stdin>:2: the row has 4 cells, the header 5"
    ),
    (
      "Issue key,Summary,Component/s,Priority,Created\nA-1,t,mail,High,yesterday-ish\n",
      "<stdin>:2: column 'Created': unparseable date 'yesterday-ish'"
    ),
    (
      "Issue key,Summary,Component/s,Priority,Created\nA-1,t,mail,Blocker,2026-11-25 09:30:00\n",
      "<stdin>:2: unknown priority 'Blocker'"
    ),
    (
      "Issue key,Summary,Component/s,Priority,Created\nA-1,\"t,mail,High,2026-11-25 09:30:00\n",
      "<stdin>:2: a quoted field is not closed"
    ),
  ])
  func badRowsAreNamedAndNothingIsWritten(csv: String, message: String) throws {
    let s = try Sandbox()
    let r = try s.incident(
      [
        "import", "--map", "Issue key=id,Summary=title,Component/s=service,Priority=priority,Created=opened_at",
        "--priority-map", "High=P2",
      ], stdin: csv)
    #expect(r.status == 65)
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(try s.snapshot() == "<no database>" || !(try s.snapshot()).contains("incidents ("))
  }

  @Test func badMappingFlagsAreUsageErrors() throws {
    let s = try Sandbox()
    #expect(try s.incident(["import", "--map", "Summary"], stdin: "").status == 64)
    #expect(try s.incident(["import", "--map", "A=title", "--timezone", "Mars/Olympus"], stdin: "").status == 64)
  }
}
