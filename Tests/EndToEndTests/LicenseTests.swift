import Foundation
import Testing

@Suite("itsm-license end to end")
struct LicenseTests {
  static let apps = """
    {"kind":"license.app","app":"m365","sku":"E5","tier_rank":3,"unit_cost":57,"cost_period":"month","seats":10,"billing":"seat","vendor":"Microsoft","renewal_date":"2027-01-31","notice_days":60}
    {"kind":"license.app","app":"m365","sku":"E3","tier_rank":2,"unit_cost":36,"cost_period":"month","seats":5,"billing":"seat","vendor":"Microsoft","renewal_date":"2027-01-31","notice_days":60}
    {"kind":"license.app","app":"slack","sku":"pro","unit_cost":96,"cost_period":"year","seats":5,"billing":"active_user"}
    """

  static let accounts = """
    {"kind":"license.account","id":"u:ana","email":"ana@example.com","manager":"u:boss","department":"sales","hr_status":"active","hired_at":"2024-03-01"}
    {"kind":"license.account","id":"u:boss","email":"boss@example.com","department":"sales","hr_status":"active","hired_at":"2020-01-01"}
    {"kind":"license.account","id":"u:gone","email":"gone@example.com","hr_status":"departed","departed_at":"2026-11-01","hired_at":"2020-01-01"}
    {"kind":"license.account","id":"u:new","email":"new@example.com","hr_status":"active","hired_at":"2026-11-10"}
    {"kind":"license.account","id":"u:ceo","email":"ceo@example.com","department":"board","hr_status":"active","hired_at":"2019-01-01"}
    """

  static let assignments = """
    {"kind":"license.assignment","account":"u:ana","app":"m365","sku":"E3","since":"2024-03-01"}
    {"kind":"license.assignment","account":"u:boss","app":"m365","sku":"E5","since":"2020-01-01"}
    {"kind":"license.assignment","account":"u:boss","app":"m365","sku":"E3","since":"2020-01-01"}
    {"kind":"license.assignment","account":"u:gone","app":"m365","sku":"E3","since":"2020-01-01"}
    {"kind":"license.assignment","account":"u:new","app":"m365","sku":"E3","since":"2026-11-10"}
    {"kind":"license.assignment","account":"u:ceo","app":"m365","sku":"E5","since":"2019-01-01"}
    """

  /// Entra's export as PowerShell writes it: ana last signed in on 2 September (inactive by
  /// 20 November), boss yesterday, the new hire and the CEO never.
  static let entra = """
    id,userPrincipalName,signInActivity.lastSuccessfulSignInDateTime
    u:ana,ana@example.com,9/2/2026 10:11:00 AM
    u:boss,boss@example.com,2026-11-19T08:00:00Z
    u:gone,gone@example.com,2026-10-30T08:00:00Z
    u:new,new@example.com,
    u:ceo,ceo@example.com,

    """

  func sandbox(policy: String = "licenses:\n  exempt: {departments: [board]}\n") throws -> Sandbox {
    let s = try Sandbox()
    s.environment["ITSM_POLICY"] = try s.write("policy.yaml", policy)
    s.environment["ITSM_NOW"] = "2026-11-20T00:00:00Z"
    for (kind, text) in [
      ("apps", LicenseTests.apps), ("accounts", LicenseTests.accounts), ("assignments", LicenseTests.assignments),
    ] {
      let r = try s.license(["import", kind], stdin: text)
      #expect(r.status == 0, "\(kind): \(r.stderr)")
    }
    let activity = try s.license(["import", "activity", "--preset", "m365"], stdin: LicenseTests.entra)
    #expect(activity.status == 0, "\(activity.stderr)")
    return s
  }

  /// flag and reclaim make the records they print while their transaction commits: in CSV
  /// (made as records, not as lines) they print the cases and steps the JSON Lines name, one
  /// row each after the header, once the commit is done.
  @Test func flagAndReclaimPrintTheSameInCSVAsInJSONLines() throws {
    let (lines, csv) = (try sandbox(), try sandbox())
    for command in [["flag"], ["reclaim"]] {
      let a = try lines.license(command)
      let b = try csv.license(command + ["--format", "csv"])
      #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
      #expect(a.records.count == 3)
      let rows = b.stdout.split(whereSeparator: \.isNewline).map(String.init)
      #expect(rows.count == a.records.count + 1, "\(b.stdout)")
      for record in a.records {
        let id = (record["id"] ?? record["case"]) as? String ?? "?"
        #expect(rows.dropFirst().contains { $0.contains(id) }, "\(id) in \(b.stdout)")
      }
    }
    #expect(try lines.snapshot() == csv.snapshot())
  }

  @Test func flagThenReclaimEachStepOnceThroughTheGracePeriod() throws {
    let s = try sandbox()
    let flagged = try s.license(["flag"])
    #expect(flagged.status == 0, "\(flagged.stderr)")
    // ana inactive (E3); boss holds E5 and E3 of one app: the lower, E3, is a duplicate; gone
    // departed; the new hire and the CEO (department exempt) are not flagged.
    var reasons: [String: String] = [:]
    for r in flagged.records { reasons["\(r["account"]!)/\(r["sku"]!)"] = r["reason"] as? String }
    #expect(reasons == ["u:ana/E3": "inactive", "u:boss/E3": "duplicate", "u:gone/E3": "departed"])
    let before = try s.snapshot()
    #expect(try s.license(["flag"]).stdout.isEmpty)
    #expect(try s.snapshot() == before)
    #expect(try s.license(["flag", "--check"]).status == 3)

    let first = try s.license(["reclaim"])
    var actions: [String: String] = [:]
    for r in first.records { actions[r["account"] as! String] = r["action"] as? String }
    #expect(actions == ["u:ana": "notified", "u:boss": "notified", "u:gone": "reclaimed"])
    #expect(
      first.records.first { $0["account"] as? String == "u:ana" }?["grace_until"] as? String == "2026-12-04T00:00:00Z")
    let afterFirst = try s.snapshot()
    #expect(try s.license(["reclaim"]).stdout.isEmpty)
    #expect(try s.snapshot() == afterFirst)
    let outbox = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT recipient, reason FROM notifications ORDER BY recipient\"")
    // ana's manager hears of ana; boss has no manager: the policy's default target.
    #expect(outbox.stdout == "boss@example.com|license_inactive\nit-asset-management|license_duplicate\n")

    // Before the grace period ends nothing happens; after it, the seats are reclaimed.
    #expect(try s.license(["reclaim", "--now", "2026-12-03T23:59:00Z"]).stdout.isEmpty)
    let last = try s.license(["reclaim", "--now", "2026-12-04T00:00:00Z"])
    #expect(last.records.map { $0["action"] as? String } == ["reclaimed", "reclaimed"])
    let savings = try s.license(["savings", "--now", "2026-12-04T00:00:00Z"]).records.first
    // Reclaimed on 4 December: ana's and boss's E3 at 36 a month each.
    #expect(savings?["realized_monthly"] as? Double == 72)
    #expect(savings?["realized_annualized"] as? Double == 864)
    #expect(savings?["potential_monthly"] as? Double == 0)
    let november = try s.license(["savings", "--period", "quarter", "--now", "2026-12-04T00:00:00Z"]).records.first
    // The quarter also holds gone's seat, reclaimed on 20 November.
    #expect(november?["realized_monthly"] as? Double == 108)
    let left = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM license_assignments\"")
    #expect(left.stdout == "3\n")
    let events = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT type FROM events WHERE entity = 'license.case' AND entity_id = 'LC-1' ORDER BY seq\""
    )
    #expect(events.stdout == "opened\nnotified\nreclaimed\n")
  }

  @Test func activeAgainDuringTheGracePeriodKeepsTheSeat() throws {
    let s = try sandbox()
    #expect(try s.license(["flag"]).status == 0)
    #expect(try s.license(["reclaim"]).status == 0)
    let snapshot =
      #"{"account":"u:ana","app":"m365","last_active_at":"2026-11-25T09:00:00Z","observed_at":"2026-11-26T00:00:00Z"}"#
    #expect(try s.license(["import", "activity"], stdin: snapshot).status == 0)
    let r = try s.license(["reclaim", "--now", "2026-11-26T00:00:00Z"])
    let ana = r.records.first { $0["account"] as? String == "u:ana" }
    #expect(ana?["action"] as? String == "kept")
    #expect(ana?["kept_by"] as? String == "active")
    #expect(try s.license(["cases", "--state", "kept"]).records.count == 1)
  }

  @Test func seatsOfAccountsTheDirectoryDoesNotKnowAreUnassigned() throws {
    let s = try sandbox()
    // Two seats assigned to accounts the directory does not list: a build service account,
    // active yesterday, and a contractor whom the directory lists later.
    let seats = """
      {"account":"svc:build","app":"m365","sku":"E3","since":"2025-01-01"}
      {"account":"c:temp","app":"m365","sku":"E3","since":"2025-01-01"}
      """
    let imported = try s.license(["import", "assignments"], stdin: seats)
    #expect(imported.stderr.contains("2 accounts not in the directory were created with hr_status unknown"))
    let activity = #"{"account":"svc:build","app":"m365","last_active_at":"2026-11-19T08:00:00Z"}"#
    #expect(try s.license(["import", "activity"], stdin: activity).status == 0)
    let flagged = try s.license(["flag"])
    var reasons: [String: String] = [:]
    for r in flagged.records { reasons[r["account"] as! String] = r["reason"] as? String }
    #expect(reasons["svc:build"] == "unassigned")
    #expect(reasons["c:temp"] == "unassigned")
    #expect(try s.license(["flag"]).stdout.isEmpty)

    // Activity does not keep an unassigned seat: the notice goes to the policy's target.
    let first = try s.license(["reclaim"])
    let notified = first.records.filter { $0["reason"] as? String == "unassigned" }
    #expect(notified.map { $0["action"] as? String } == ["notified", "notified"])
    let outbox = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT recipient, message FROM notifications WHERE reason = 'license_unassigned' ORDER BY num\""
    )
    #expect(
      outbox.stdout.hasPrefix(
        "it-asset-management|m365 E3 is held by svc:build, an account the directory does not know: the seat will be reclaimed on 2026-12-04"
      ), "\(outbox.stdout)")

    // The directory lists the contractor: that case is kept; the service account's seat goes
    // when the grace period ends.
    let listed = #"{"id":"c:temp","email":"temp@example.com","hr_status":"active","hired_at":"2025-01-01"}"#
    #expect(try s.license(["import", "accounts"], stdin: listed).status == 0)
    let next = try s.license(["reclaim", "--now", "2026-11-21T00:00:00Z"])
    #expect(next.records.count == 1)
    #expect(next.records.first?["account"] as? String == "c:temp")
    #expect(next.records.first?["action"] as? String == "kept")
    #expect(next.records.first?["kept_by"] as? String == "directory")
    let last = try s.license(["reclaim", "--now", "2026-12-04T00:00:00Z"])
    let build = last.records.first { $0["account"] as? String == "svc:build" }
    #expect(build?["action"] as? String == "reclaimed")
    let left = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM license_assignments s JOIN license_accounts a ON a.num = s.account_num WHERE a.id = 'svc:build'\""
    )
    #expect(left.stdout == "0\n")
  }

  @Test func membersOfAnExemptGroupAreNeitherFlaggedNorReclaimed() throws {
    let s = try sandbox(policy: "licenses:\n  exempt: {departments: [board], groups: [legal-hold]}\n")
    // ana is inactive: flagged while her record lists no exempt group.
    let first = try s.license(["flag"])
    #expect(first.records.contains { $0["account"] as? String == "u:ana" })
    #expect(try s.license(["reclaim"]).status == 0)
    // Her record now lists her groups, one of them exempt: her open case is kept, and she is
    // not flagged again.
    let grouped =
      #"{"id":"u:ana","email":"ana@example.com","manager":"u:boss","department":"sales","hr_status":"active","hired_at":"2024-03-01","groups":["sales-emea","legal-hold"]}"#
    #expect(try s.license(["import", "accounts"], stdin: grouped).status == 0)
    let next = try s.license(["reclaim", "--now", "2026-11-21T00:00:00Z"])
    let ana = next.records.first { $0["account"] as? String == "u:ana" }
    #expect(ana?["action"] as? String == "kept")
    #expect(ana?["kept_by"] as? String == "exempt")
    let again = try s.license(["flag", "--now", "2026-11-22T00:00:00Z"])
    #expect(!again.records.contains { $0["account"] as? String == "u:ana" })
  }

  @Test func thePolicyCanDowngradeInsteadOfReclaiming() throws {
    let s = try sandbox(policy: "licenses:\n  grace_period: 7d\n  apps:\n    m365: {downgrade: {E3: F3}}\n")
    #expect(
      try s.license(["import", "apps"], stdin: #"{"app":"m365","sku":"F3","unit_cost":8,"seats":50}"#).status == 0)
    let repriced = try s.license(["import", "apps"], stdin: #"{"app":"m365","sku":"F3","unit_cost":8,"seats":60}"#)
    #expect(repriced.records.first?["updated"] as? Int == 1)
    #expect(repriced.records.first?["created"] as? Int == 0)
    #expect(try s.license(["flag"]).status == 0)
    #expect(try s.license(["reclaim"]).status == 0)
    let r = try s.license(["reclaim", "--now", "2026-11-27T00:00:00Z"])
    let ana = try #require(r.records.first { $0["account"] as? String == "u:ana" })
    #expect(ana["action"] as? String == "downgraded")
    #expect(ana["downgraded_to"] as? String == "F3")
    #expect(ana["saved_monthly"] as? Double == 28)
    let held = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT s.sku FROM license_assignments s JOIN license_accounts a ON a.num = s.account_num WHERE a.id = 'u:ana'\""
    )
    #expect(held.stdout == "F3\n")
  }

  @Test func seatsMeetTheirActivityAndCasesWhateverTheAppsAreCalled() throws {
    // flag walks the seats, the activity and the cases side by side, in SQLite's order of the
    // app names' bytes: upper case before lower, accented letters after both.
    let s = try sandbox()
    let names = ["Zoom", "zoom", "Été", "ärzte"]
    let apps = names.map {
      #"{"kind":"license.app","app":"\#($0)","sku":"std","unit_cost":10,"cost_period":"month","seats":5,"billing":"seat"}"#
    }
    #expect(try s.license(["import", "apps"], stdin: apps.joined(separator: "\n")).status == 0)
    let seats = names.map { #"{"account":"u:ana","app":"\#($0)","sku":"std","since":"2024-03-01"}"# }
    #expect(try s.license(["import", "assignments"], stdin: seats.joined(separator: "\n")).status == 0)
    let activity = """
      {"account":"u:ana","app":"Zoom","last_active_at":"2026-11-19T00:00:00Z"}
      {"account":"u:ana","app":"Été","last_active_at":"2026-09-01T00:00:00Z"}
      {"account":"u:ana","app":"ärzte"}
      """
    let imported = try s.license(["import", "activity"], stdin: activity)
    #expect(imported.status == 0, "\(imported.stderr)")
    let flagged = try s.license(["flag"])
    var reasons: [String: String] = [:]
    for r in flagged.records { reasons["\(r["account"]!)/\(r["app"]!)/\(r["sku"]!)"] = r["reason"] as? String }
    // Zoom is in use; zoom the exports never list; Été idle since September; ärzte listed,
    // never used.
    #expect(
      reasons == [
        "u:ana/m365/E3": "inactive", "u:ana/Été/std": "inactive", "u:ana/ärzte/std": "never_used",
        "u:boss/m365/E3": "duplicate", "u:gone/m365/E3": "departed",
      ])
    // Each seat finds its open case: nothing new.
    #expect(try s.license(["flag"]).stdout.isEmpty)
  }

  @Test func keptAndExemptSeatsAreNotFlaggedAgain() throws {
    let s = try sandbox()
    let flagged = try s.license(["flag"]).records
    let anaCase = try #require(flagged.first { $0["account"] as? String == "u:ana" }?["id"] as? String)
    #expect(try s.license(["keep", anaCase, "--reason", "parental leave"]).status == 0)
    #expect(try s.license(["keep", anaCase, "--reason", "again"]).status == 1)
    #expect(try s.license(["keep", "LC-999", "--reason", "x"]).status == 1)
    let exempted = try s.license(["exempt", "u:boss", "--reason", "board advisor"])
    #expect(exempted.status == 0)
    #expect(exempted.records.map { $0["state"] as? String } == ["kept"])
    #expect(try s.license(["exempt", "u:nobody", "--reason", "x"]).status == 1)
    #expect(try s.license(["flag", "--now", "2026-12-01T00:00:00Z"]).stdout.isEmpty)
  }

  @Test func accountsAreKeyedByTheirStableIdAndSnapshotsImportOnce() throws {
    let s = try sandbox()
    let before = try s.snapshot()
    let again = try s.license(["import", "activity", "--preset", "m365"], stdin: LicenseTests.entra)
    #expect(again.records.first?["unchanged"] as? Int == 5)
    #expect(try s.snapshot() == before)
    // A new address for the same id: the same account, updated, with the change on record.
    let renamed =
      #"{"id":"u:ana","email":"ana.silva@example.com","manager":"u:boss","department":"sales","hr_status":"active","hired_at":"2024-03-01"}"#
    let r = try s.license(["import", "accounts"], stdin: renamed)
    #expect(r.records.first?["updated"] as? Int == 1)
    let rows = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT count(*), min(email) FROM license_accounts WHERE id = 'u:ana'\"")
    #expect(rows.stdout == "1|ana.silva@example.com\n")
    let change = try s.shell(
      "sqlite3 \"$ITSM_DB\" \"SELECT data FROM events WHERE entity = 'license.account' AND entity_id = 'u:ana' AND type = 'updated'\""
    )
    #expect(change.stdout.contains(#""email":{"before":"ana@example.com","after":"ana.silva@example.com"}"#))
    // Activity of an account the directory does not know: created as unknown, with a warning.
    let unknown = try s.license(
      ["import", "activity"], stdin: #"{"account":"svc:backup","app":"m365","last_active_at":"2026-11-01T00:00:00Z"}"#)
    #expect(unknown.status == 0)
    #expect(unknown.stderr.contains("1 accounts not in the directory were created with hr_status unknown"))
    let status = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT hr_status FROM license_accounts WHERE id = 'svc:backup'\"")
    #expect(status.stdout == "unknown\n")
  }

  @Test(arguments: [
    (
      "id,userPrincipalName\nu:ana,ana@example.com\n", ["--preset", "m365"],
      "<stdin>:1: missing column 'signInActivity.lastSuccessfulSignInDateTime'"
    ),
    ("account,last_active_at\nu:ana,2026-11-01\n", ["--format", "csv"], "<stdin>:1: missing column 'app'"),
    (
      "id,signInActivity.lastSuccessfulSignInDateTime\nu:ana,2026-11-01\nu:boss,31/12/2026 25:00\n",
      ["--preset", "m365"],
      "<stdin>:3: column 'signInActivity.lastSuccessfulSignInDateTime': unparseable date '31/12/2026 25:00'"
    ),
    (
      "Atlassian ID,Last active\na1,14 Dec 2025\na2,sometime\n", ["--preset", "atlassian", "--app", "jira"],
      "<stdin>:3: column 'Last active': unparseable date 'sometime'"
    ),
    (
      "user_id,date,is_active\nU1,2026-11-01,maybe\n", ["--preset", "slack"],
      "<stdin>:2: column 'is_active': expected true or false"
    ),
  ])
  func badCSVNamesTheLineAndColumnAndWritesNothing(csv: String, flags: [String], message: String) throws {
    let s = try sandbox()
    let before = try s.snapshot()
    let r = try s.license(["import", "activity"] + flags, stdin: csv)
    #expect(r.status == 65)
    #expect(r.stderr.contains(message), "\(r.stderr)")
    #expect(try s.snapshot() == before)
  }

  @Test func negativeCostsAndSeatsAreRefused() throws {
    let s = try Sandbox()
    let r = try s.license(
      ["import", "apps"],
      stdin: #"{"app":"a","sku":"s","unit_cost":-5,"seats":3}"# + "\n"
        + #"{"app":"a","sku":"t","unit_cost":5,"seats":-3}"# + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:1: 'unit_cost' must not be negative, got -5.0"), "\(r.stderr)")
    #expect(r.stderr.contains("<stdin>:2: 'seats' must not be negative"))
    let apps = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM license_apps\"")
    #expect(apps.stdout == "0\n")
  }

  @Test func vendorPresetsReadTheirOwnFormats() throws {
    let s = try sandbox()
    // Google: the epoch means never signed in.
    let google =
      "id,primaryEmail,lastLoginTime\ng1,a@x.com,2026-11-02T10:00:00.000Z\ng2,b@x.com,1970-01-01T00:00:00.000Z\n"
    #expect(try s.license(["import", "activity", "--preset", "google"], stdin: google).status == 0)
    // Slack: one file per day; the last active day is the last activity.
    for (day, active) in [("2026-11-10", "true"), ("2026-11-11", "false"), ("2026-11-12", "FALSE")] {
      let file = "date,user_id,email_address,is_active,is_billable_seat\n\(day),U1,u1@x.com,\(active),true\n"
      #expect(try s.license(["import", "activity", "--preset", "slack"], stdin: file).status == 0)
    }
    let atlassian = "Atlassian ID,Email,Last active\na1,a1@x.com,14 Dec 2025\na2,a2@x.com,Never\n"
    #expect(
      try s.license(["import", "activity", "--preset", "atlassian", "--app", "jira"], stdin: atlassian).status == 0)
    let rows = try s.shell(
      """
      sqlite3 "$ITSM_DB" "SELECT a.id, v.app, max(v.last_active_at), count(*) FROM license_activity v
        JOIN license_accounts a ON a.num = v.account_num WHERE a.id IN ('g1','g2','U1','a1','a2') GROUP BY 1, 2 ORDER BY 1"
      """)
    // Slack: the 12th says nothing the 11th did not (inactive), so two observations are kept.
    // 2026-11-02T10:00Z = 1793613600; 2026-11-10 = 1794268800;
    // 2025-12-14 = 1765670400.
    #expect(
      rows.stdout == "U1|slack|1794268800|2\na1|jira|1765670400|1\na2|jira||1\ng1|google|1793613600|1\ng2|google||1\n")
  }

  @Test func quotedCSVFieldsKeepTheirCommasAndLineBreaks() throws {
    let s = try Sandbox()
    let csv = "id,name,department\nu1,\"Silva, Ana\",sales\nu2,\"Two\n\nlines\",ops\nu3,short\n"
    let r = try s.license(["import", "accounts", "--format", "csv"], stdin: csv)
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:6: the row has 2 cells, the header 3"), "\(r.stderr)")
    let ok = try s.license(["import", "accounts", "--format", "csv", "--skip-invalid"], stdin: csv)
    #expect(ok.status == 0)
    let names = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT name FROM license_accounts ORDER BY id\"")
    #expect(names.stdout == "Silva, Ana\nTwo\n\nlines\n")
    let open = try s.license(["import", "accounts", "--format", "csv"], stdin: "id,name\nu9,\"never closed\n")
    #expect(open.status == 65)
    #expect(open.stderr.contains("<stdin>:2: a quoted field is not closed"))
  }

  @Test func utilizationRenewalsAndForecast() throws {
    let s = try sandbox()
    let bySKU = try s.license(["utilization", "--by", "sku"]).records
    let e3 = try #require(bySKU.first { $0["sku"] as? String == "E3" })
    // E3: 5 purchased, 4 assigned (ana, boss, gone, new), active within 30 days: boss (gone
    // signed in on 30 October but has left: idle).
    #expect(e3["assigned"] as? Int == 4)
    #expect(e3["active"] as? Int == 1)
    #expect(e3["idle"] as? Int == 3)
    #expect(e3["idle_monthly_cost"] as? Double == 108)
    #expect(e3["unassigned_monthly_cost"] as? Double == 36)
    let byApp = try s.license(["utilization"]).records
    #expect(byApp.first { $0["app"] as? String == "m365" }?["purchased"] as? Int == 15)
    let renewals = try s.license(["renewals", "--within", "90d"]).records
    #expect(renewals.count == 2)
    let e3Renewal = try #require(renewals.first { $0["sku"] as? String == "E3" })
    #expect(e3Renewal["notice_by"] as? String == "2026-12-02")
    #expect(e3Renewal["recommended_seats"] as? Int == 2)  // 1 active + 10 %, rounded up
    #expect(e3Renewal["seats_to_cut"] as? Int == 3)
    #expect(try s.license(["renewals", "--within", "30d"]).stdout.isEmpty)
    let plan = try s.write(
      "plan.jsonl",
      #"{"month":"2027-01","department":"sales","hires":4}"# + "\n" + #"{"month":"2027-02","hires":10,"leavers":2}"#
        + "\n")
    let forecast = try s.license(["forecast", "--headcount", plan]).records.filter { $0["app"] as? String == "m365" }
    // Today 6 m365 assignments; sales adoption 2 of 2; overall 4 of 4 active accounts hold m365.
    #expect(forecast.map { $0["seats_needed"] as? Int } == [10, 18])
    #expect(forecast.map { $0["gap"] as? Int } == [-5, 3])
  }

  @Test func aDepartureOverridesAnOpenCaseAndAReclaimedSeatIsNotFlaggedAgain() throws {
    let s = try sandbox()
    #expect(try s.license(["flag"]).status == 0)
    #expect(try s.license(["reclaim"]).status == 0)  // ana notified, grace until 4 December
    let leaves =
      #"{"id":"u:ana","email":"ana@example.com","manager":"u:boss","department":"sales","hr_status":"departed","departed_at":"2026-11-22","hired_at":"2024-03-01"}"#
    #expect(try s.license(["import", "accounts"], stdin: leaves).status == 0)
    // Before her last day nothing changes; on it, the seat goes at once, not after the grace period.
    #expect(
      try s.license(["reclaim", "--now", "2026-11-21T00:00:00Z"]).records.filter { $0["account"] as? String == "u:ana" }
        .isEmpty)
    let gone = try s.license(["reclaim", "--now", "2026-11-22T00:00:00Z"]).records.first {
      $0["account"] as? String == "u:ana"
    }
    #expect(gone?["action"] as? String == "reclaimed")
    // The vendor's next assignments export still lists the seat: no second case.
    #expect(
      try s.license(["import", "assignments", "--now", "2026-11-23T00:00:00Z"], stdin: LicenseTests.assignments).status
        == 0)
    let again = try s.license(["flag", "--now", "2026-11-23T00:00:00Z"])
    #expect(!again.records.contains { $0["account"] as? String == "u:ana" })
    #expect(!again.records.contains { $0["account"] as? String == "u:gone" })
  }

  @Test func theSameExportAtAnotherTimeAndDryRunsChangeNothing() throws {
    let s = try sandbox()
    let before = try s.snapshot()
    let later = try s.license(
      ["import", "activity", "--preset", "m365", "--now", "2026-11-27T00:00:00Z"], stdin: LicenseTests.entra)
    #expect(later.records.first?["unchanged"] as? Int == 5)
    #expect(try s.snapshot() == before)
    for args in [["flag", "--dry-run"], ["reclaim", "--dry-run"]] {
      let r = try s.license(args)
      #expect(r.status == 0)
      #expect(try s.snapshot() == before, "\(args)")
    }
    #expect(try s.license(["flag", "--dry-run"]).records.count == 3)
    #expect(try s.license(["import", "activity", "--app", "m365"], stdin: "").status == 64)
  }
}
