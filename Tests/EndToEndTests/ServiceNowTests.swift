import Foundation
import Testing

@Suite("itsm-incident import --from servicenow")
struct ServiceNowTests {
  static let header =
    "number,short_description,incident_state,active,priority,impact,urgency,category,cmdb_ci,assignment_group,assigned_to,opened_at,sys_updated_at,reassignment_count,reopen_count,sys_mod_count,made_sla,contact_type,problem_id,rfc,closed_code,resolved_at,closed_at"

  /// The audit history of INC1 (four updates) and a list row for INC2.
  static let audit =
    [
      header,
      #"INC1,"Email not sending, again",New,true,3 - Moderate,2 - Medium,2 - Medium,Software,mail,Service Desk,,2026-11-20 09:00:00,2026-11-20 09:00:00,0,0,0,true,Phone,?,,,,"#,
      #"INC1,"Email not sending, again",In Progress,true,2 - High,2 - Medium,1 - High,Software,mail,Service Desk,bo,2026-11-20 09:00:00,2026-11-20 09:10:00,0,0,1,true,Phone,?,,,,"#,
      #"INC1,"Email not sending, again",In Progress,true,2 - High,2 - Medium,1 - High,Software,mail,Messaging,chen,2026-11-20 09:00:00,2026-11-20 09:40:00,1,0,2,true,Phone,PRB0001,,,,"#,
      #"INC1,"Email not sending, again",Resolved,false,2 - High,2 - Medium,1 - High,Software,mail,Messaging,chen,2026-11-20 09:00:00,2026-11-20 11:00:00,1,0,3,false,Phone,PRB0001,CHG0002,Solved (Permanently),2026-11-20 11:00:00,"#,
      #"INC2,VPN down,Awaiting Vendor,true,1 - Critical,1 - High,1 - High,Network,vpn,Network,dara,2026-11-20 10:00:00,2026-11-20 10:05:00,0,0,0,true,Monitoring,,,,,"#,
    ].joined(separator: "\n") + "\n"

  @Test func anAuditHistoryBecomesOneIncidentWithItsTimeline() throws {
    let s = try Sandbox()
    let r = try s.incident(["import", "--from", "servicenow"], stdin: ServiceNowTests.audit)
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.first?["read"] as? Int == 5)
    #expect(r.records.first?["created"] as? Int == 2)
    #expect(r.stderr.contains("incident_state 'Awaiting Vendor' (1)"))
    let shown = try s.incident(["show", "INC1"]).records
    let incident = shown[0]
    #expect(incident["status"] as? String == "resolved")
    #expect(incident["priority"] as? String == "P2")
    #expect(incident["team"] as? String == "Messaging")
    #expect(incident["assignee"] as? String == "chen")
    // The first move to In Progress is the acknowledgement: MTTA 10 minutes.
    #expect(incident["acknowledged_at"] as? String == "2026-11-20T09:10:00Z")
    #expect(incident["resolved_at"] as? String == "2026-11-20T11:00:00Z")
    #expect(incident["reassignment_count"] as? Int == 1)
    #expect(incident["detection"] as? String == "user_report")
    let extra = try #require(incident["extra"] as? [String: Any])
    #expect(extra["made_sla"] as? String == "false")
    #expect(extra["problem_id"] as? String == "PRB0001")
    #expect(extra["rfc"] as? String == "CHG0002")
    #expect(extra["closed_code"] as? String == "Solved (Permanently)")
    #expect(extra["category"] as? String == "Software")
    let types = shown.dropFirst().compactMap { $0["type"] as? String }
    #expect(
      types == [
        "opened", "acknowledged", "state_changed", "assigned", "priority_changed", "assigned", "resolved",
        "state_changed",
      ])
    // An unknown state: kept under extra, the status follows the times (open, not acknowledged).
    let vpn = try s.incident(["show", "INC2"]).records[0]
    #expect(vpn["status"] as? String == "new")
    #expect((vpn["extra"] as? [String: Any])?["incident_state"] as? String == "Awaiting Vendor")
    #expect(vpn["detection"] as? String == "monitoring_alert")
    #expect(vpn["priority"] as? String == "P1")
  }

  @Test func reimportingChangesNothingAndALaterExportAddsOnlyWhatIsNew() throws {
    let s = try Sandbox()
    #expect(try s.incident(["import", "--from", "servicenow"], stdin: ServiceNowTests.audit).status == 0)
    let before = try s.snapshot()
    let again = try s.incident(["import", "--from", "servicenow"], stdin: ServiceNowTests.audit)
    #expect(again.records.first?["unchanged"] as? Int == 2)
    #expect(try s.snapshot() == before)
    let closed =
      #"INC1,"Email not sending, again",Closed,false,2 - High,2 - Medium,1 - High,Software,mail,Messaging,chen,2026-11-20 09:00:00,2026-11-22 11:00:00,1,0,4,false,Phone,PRB0001,CHG0002,Solved (Permanently),2026-11-20 11:00:00,2026-11-22 11:00:00"#
    // A later export of the audit history: INC1's rows with one more, then INC2.
    var lines = ServiceNowTests.audit.split(separator: "\n").map(String.init)
    lines.insert(closed, at: 5)
    let later = try s.incident(["import", "--from", "servicenow"], stdin: lines.joined(separator: "\n") + "\n")
    #expect(later.records.first?["updated"] as? Int == 1)
    let types = try s.incident(["show", "INC1"]).records.dropFirst().compactMap { $0["type"] as? String }
    #expect(types.suffix(3) == ["imported", "closed", "state_changed"])
    #expect(types.filter { $0 == "assigned" }.count == 2)
  }

  @Test(arguments: [
    ("short_description,cmdb_ci,opened_at\nx,mail,2026-11-20 09:00:00\n", "<stdin>:1: missing column 'number'"),
    (
      header + "\nINC9,t,New,true,3 - Moderate,,,,mail,,,the 20th,,,,,,,,,,,\n",
      "<stdin>:2: column 'opened_at': unparseable date 'the 20th'"
    ),
    (header + "\nINC9,t,New,true\n", "<stdin>:2: the row has 4 cells, the header 23"),
    (
      header + "\nINC9,t,New,true,3 - Moderate,,,,,,,2026-11-20 09:00:00,,,,,,,,,,,\n",
      "<stdin>:2: 'cmdb_ci' is empty: the service is unknown"
    ),
    // A zone's offset moves the opening before the year 0000: it is kept as written, clamped
    // to that year, and the resolution before it is refused.
    (
      header
        + "\nINC9,t,Resolved,false,3 - Moderate,,,,mail,,,0000-01-01T00:00:00+01:00,,,,,,,,,,0000-06-01 00:00:00,\n",
      "<stdin>:2: first_resolved_at (0000-06-01T00:00:00Z) is before opened_at (0000-12-31T23:00:00Z)"
    ),
  ])
  func badExportsAreNamedAndNothingIsWritten(csv: String, message: String) throws {
    let s = try Sandbox()
    let r = try s.incident(["import", "--from", "servicenow"], stdin: csv)
    #expect(r.status == 65)
    #expect(r.stderr.contains(message), "\(r.stderr)")
    let count = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM incidents\" 2>/dev/null || echo 0")
    #expect(count.stdout == "0\n")
  }

  @Test func theInstanceDateFormatAndZoneAreHonoured() throws {
    let s = try Sandbox()
    let csv =
      "number,short_description,cmdb_ci,priority,opened_at,incident_state\nINC5,t,mail,4 - Low,11/20/2026 09:30:00 PM,New\n"
    #expect(
      try s.incident(["import", "--from", "servicenow", "--timezone", "America/New_York"], stdin: csv).status == 0)
    // 21:30 in New York (UTC-5 in November) is 02:30 UTC the next day.
    #expect(try s.incident(["show", "INC5"]).records[0]["opened_at"] as? String == "2026-11-21T02:30:00Z")
    #expect(try s.incident(["import", "--from", "servicenow", "--map", "a=b"], stdin: csv).status == 64)
  }

  /// The incidents and timelines an import stores, without the times of the import itself.
  static func stored(_ s: Sandbox) throws -> String {
    try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT id, status, priority, team, assignee, acknowledged_at, resolved_at, extra FROM incidents ORDER BY id; SELECT entity_id, at, type, data FROM events ORDER BY entity_id, at, type, data\""
    ).stdout
  }

  @Test func updatesOutOfOrderGiveTheIncidentOfTheHighestModCount() throws {
    let ordered = try Sandbox()
    #expect(try ordered.incident(["import", "--from", "servicenow"], stdin: ServiceNowTests.audit).status == 0)
    // INC1's updates as 2, 0, 3, 1: the one with sys_mod_count 3 (resolved) is the incident,
    // though it is not the last row, and the timeline follows sys_mod_count.
    var lines = ServiceNowTests.audit.split(separator: "\n").map(String.init)
    lines[1...4] = [lines[3], lines[1], lines[4], lines[2]]
    let shuffled = try Sandbox()
    let r = try shuffled.incident(["import", "--from", "servicenow"], stdin: lines.joined(separator: "\n") + "\n")
    #expect(r.status == 0, "\(r.stderr)")
    #expect(try shuffled.incident(["show", "INC1"]).records[0]["status"] as? String == "resolved")
    let expected = try ServiceNowTests.stored(ordered)
    #expect(expected.contains("INC1|resolved|2|Messaging|chen|"))
    #expect(expected.contains("priority_changed"))
    #expect(try ServiceNowTests.stored(shuffled) == expected)
  }

  @Test func withoutModCountsTheLastRowOfAnIncidentIsIt() throws {
    let s = try Sandbox()
    let csv = """
      number,short_description,cmdb_ci,priority,opened_at,incident_state,assigned_to
      INC7,t,mail,4 - Low,2026-11-20 09:00:00,New,
      INC7,t,mail,4 - Low,2026-11-20 09:00:00,In Progress,ana
      INC7,t,mail,3 - Moderate,2026-11-20 09:00:00,On Hold,bo

      """
    let r = try s.incident(["import", "--from", "servicenow"], stdin: csv)
    #expect(r.status == 0, "\(r.stderr)")
    let incident = try s.incident(["show", "INC7"]).records[0]
    #expect(incident["status"] as? String == "on_hold")
    #expect(incident["assignee"] as? String == "bo")
    #expect(incident["priority"] as? String == "P3")
  }

  @Test func aBadUpdateBeforeTheLastIsStillRefused() throws {
    let s = try Sandbox()
    // The second of INC1's updates says Resolved without resolved_at: refused though a later
    // row is the incident; nothing is written.
    var lines = ServiceNowTests.audit.split(separator: "\n").map(String.init)
    lines[2] = lines[2].replacingOccurrences(of: ",In Progress,", with: ",Resolved,")
    let r = try s.incident(["import", "--from", "servicenow"], stdin: lines.joined(separator: "\n") + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:3: status 'resolved' needs 'resolved_at'"), "\(r.stderr)")
    let count = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM incidents\" 2>/dev/null || echo 0")
    #expect(count.stdout == "0\n")
  }
}
