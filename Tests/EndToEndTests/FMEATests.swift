import Foundation
import Testing

@Suite("itsm-fmea end to end")
struct FMEAEndToEndTests {
  static let policy = """
    services:
      web: {tier: vital, owner: frontend, depends_on: [api]}
      api: {tier: critical, owner: platform, depends_on: ["db-a|db-b", dns]}
      db-a: {tier: important, depends_on: [san]}
      db-b: {tier: important, depends_on: [san]}
      san: {tier: important, owner: storage}
      dns: {tier: important, owner: network}
      mail: {tier: critical, owner: messaging, depends_on: [dns]}
      wiki: {tier: deferrable}
    """

  func sandbox() throws -> Sandbox {
    let s = try Sandbox()
    s.environment["ITSM_POLICY"] = try s.write("policy.yaml", FMEAEndToEndTests.policy)
    s.environment["ITSM_NOW"] = "2026-11-01T00:00:00Z"
    return s
  }

  @discardableResult
  func add(_ s: Sandbox, service: String = "mail", cause: String = "disk full", _ scores: [String] = ["7", "5", "4"])
    throws -> [String: Any]
  {
    let r = try s.fmea([
      "add", "--service", service, "--component", "relay", "--mode", "queue stalls", "--effect", "mail delayed",
      "--cause", cause, "--s", scores[0], "--o", scores[1], "--d", scores[2],
    ])
    #expect(r.status == 0, "\(r.stderr)")
    return r.records.first ?? [:]
  }

  @Test func aModeIsScoredActedOnAndRescoredWithItsHistory() throws {
    let s = try sandbox()
    let mode = try add(s)
    #expect(mode["id"] as? String == "FM-1")
    #expect(mode["rpn"] as? Int == 140)
    #expect(mode["action_priority"] as? String == "M")
    let action = try s.fmea([
      "action", "add", "FM-1", "--text", "alert on queue depth", "--owner", "ana", "--due", "2026-12-01",
    ])
    #expect(action.status == 0, "\(action.stderr)")
    #expect(action.records.first?["action"] as? Int == 1)
    #expect(try s.fmea(["action", "done", "FM-1", "1", "--now", "2026-11-10"]).status == 0)
    let again = try s.fmea(["action", "done", "FM-1", "1", "--now", "2026-11-11"])
    #expect(again.status == 0)
    #expect(again.records.first?["done_at"] as? String == "2026-11-10T00:00:00Z")
    #expect(try s.fmea(["action", "done", "FM-1", "7"]).status == 1)
    let rescored = try s.fmea([
      "rescore", "FM-1", "--d", "2", "--reason", "queue depth alert in place", "--now", "2026-11-12",
    ])
    #expect(rescored.status == 0, "\(rescored.stderr)")
    #expect(rescored.records.first?["rpn"] as? Int == 70)
    #expect(rescored.records.first?["status"] as? String == "mitigating")
    let shown = try s.fmea(["show", "FM-1"])
    let evaluations = shown.records.filter { $0["kind"] as? String == "fmea.evaluation" }
    #expect(evaluations.map { $0["rpn"] as? Int } == [140, 70])
    #expect(evaluations.map { $0["actions_done"] as? Int } == [0, 1])
    #expect(evaluations.last?["reason"] as? String == "queue depth alert in place")
    #expect((evaluations.last?["previous"] as? [String: Any])?["detection"] as? Int == 4)
    #expect(shown.records.contains { $0["type"] as? String == "status_changed" })
    #expect(shown.records.filter { $0["kind"] as? String == "fmea.action" }.count == 1)
  }

  @Test(arguments: [
    (["--s", "11", "--o", "5", "--d", "4"], "'--s'"), (["--s", "7", "--o", "0", "--d", "4"], "'--o'"),
    (["--s", "7", "--o", "5", "--d", "abc"], "--d"), (["--s", "7.5", "--o", "5", "--d", "4"], "--s"),
  ])
  func scoresOutOfRangeFromFlagsAreUsageErrors(flags: [String], named: String) throws {
    let s = try sandbox()
    let r = try s.fmea(
      ["add", "--service", "mail", "--component", "c", "--mode", "m", "--effect", "e", "--cause", "c"] + flags)
    #expect(r.status == 64)
    #expect(r.stderr.contains(named), "\(r.stderr)")
    #expect(r.stdout.isEmpty)
    #expect(try s.snapshot() == "<no database>")
    let rescore = try s.fmea(["rescore", "FM-1", "--reason", "x"] + flags)
    #expect(rescore.status == 64)
  }

  static func line(_ id: String, service: String = "mail", s: String = "7", o: String = "5", d: String = "4") -> String
  {
    #"{"id":"\#(id)","service":"\#(service)","component":"relay","failure_mode":"stalls","effect":"late","cause":"disk full","severity":\#(s),"occurrence":\#(o),"detection":\#(d),"ticket":"PRB-1"}"#
  }

  @Test func badScoresFromImportNameTheLineAndFieldAndWriteNothing() throws {
    let s = try sandbox()
    try add(s)
    let before = try s.snapshot()
    let input = [
      FMEAEndToEndTests.line("FM-10"), FMEAEndToEndTests.line("FM-11", s: "0"),
      FMEAEndToEndTests.line("FM-12", o: "\"high\""), FMEAEndToEndTests.line("FM-13", d: "5.5"),
      #"{"id":"FM-14","service":"mail","component":"c","failure_mode":"m","effect":"e","cause":"c","severity":3,"occurrence":3}"#,
      FMEAEndToEndTests.line("FM-15", service: "nowhere"),
    ].joined(separator: "\n")
    let r = try s.fmea(["import"], stdin: input)
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:2: 'severity' must be 1 to 10, got 0"), "\(r.stderr)")
    #expect(r.stderr.contains("<stdin>:3: 'occurrence' must be a number, got string"))
    #expect(r.stderr.contains("<stdin>:4: 'detection' must be a whole number"))
    #expect(r.stderr.contains("<stdin>:5: missing required field 'detection'"))
    #expect(r.stderr.contains("<stdin>:6: service 'nowhere' is not in the service catalog"))
    #expect(try s.snapshot() == before)
    let skipped = try s.fmea(["import", "--skip-invalid", "--rejects", s.path("rejects.jsonl")], stdin: input)
    #expect(skipped.status == 0)
    #expect(skipped.records.first?["created"] as? Int == 1)
    #expect(skipped.records.first?["rejected"] as? Int == 5)
    let rejects = try String(contentsOfFile: s.path("rejects.jsonl"), encoding: .utf8)
    #expect(rejects.split(separator: "\n").count == 5)
  }

  @Test func aServiceMissingFromTheCatalogIsRefusedUnlessAllowed() throws {
    let s = try sandbox()
    let refused = try s.fmea([
      "add", "--service", "nowhere", "--component", "c", "--mode", "m", "--effect", "e", "--cause", "c", "--s", "5",
      "--o", "5", "--d", "5",
    ])
    #expect(refused.status == 1)
    #expect(refused.stderr.contains("service 'nowhere' is not in the service catalog"))
    #expect(try s.snapshot() == "<no database>")
    let allowed = try s.fmea(
      ["import", "--allow-unknown-service"], stdin: FMEAEndToEndTests.line("FM-9", service: "nowhere"))
    #expect(allowed.status == 0)
    #expect(
      allowed.stderr.contains("warning") && allowed.stderr.contains("<stdin>:1: service 'nowhere'"), "\(allowed.stderr)"
    )
    #expect(allowed.records.first?["created"] as? Int == 1)
  }

  @Test func rescoringAnUnknownIdFails() throws {
    let s = try sandbox()
    let noDatabase = try s.fmea(["rescore", "FM-404", "--s", "3", "--reason", "x"])
    #expect(noDatabase.status == 1)
    #expect(noDatabase.stderr.contains("no failure mode with id 'FM-404'"))
    try add(s)
    let before = try s.snapshot()
    let unknown = try s.fmea(["rescore", "FM-404", "--s", "3", "--reason", "x"])
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("no failure mode with id 'FM-404'"))
    #expect(try s.snapshot() == before)
    #expect(try s.fmea(["show", "FM-404"]).status == 1)
  }

  @Test func reimportingTheExportChangesNothing() throws {
    let s = try sandbox()
    let first = try s.fmea(
      ["import"], stdin: FMEAEndToEndTests.line("FM-1") + "\n" + FMEAEndToEndTests.line("FM-2", s: "9"))
    #expect(first.records.first?["created"] as? Int == 2)
    #expect(try s.fmea(["action", "add", "FM-2", "--text", "t", "--owner", "o", "--due", "2026-12-01"]).status == 0)
    let exported = try s.fmea(["export"])
    #expect(exported.records.count == 2)
    #expect((exported.records.first?["extra"] as? [String: Any])?["ticket"] as? String == "PRB-1")
    let before = try s.snapshot()
    let again = try s.fmea(["import"], stdin: exported.stdout)
    #expect(again.status == 0, "\(again.stderr)")
    #expect(again.records.first?["unchanged"] as? Int == 2)
    #expect(try s.snapshot() == before)
    // A changed score is an update with an evaluation.
    let changed = try s.fmea(["import"], stdin: FMEAEndToEndTests.line("FM-1", d: "8"))
    #expect(changed.records.first?["updated"] as? Int == 1)
    let history = try s.fmea(["show", "FM-1"]).records.filter { $0["kind"] as? String == "fmea.evaluation" }
    #expect(history.map { $0["detection"] as? Int } == [4, 8])
  }

  /// Incidents written so that the proposal can be worked out by hand (see derive below).
  static let history: String = {
    func incident(
      _ id: String, service: String, cause: String, mode: String?, detection: String, opened: String, ack: String,
      status: String = "resolved"
    ) -> String {
      var fields =
        #""id":"\#(id)","title":"t","service":"\#(service)","priority":"P2","root_cause":"\#(cause)","detection":"\#(detection)","opened_at":"\#(opened)","acknowledged_at":"\#(ack)","users_affected":2"#
      if let mode { fields += #","failure_mode":"\#(mode)""# }
      if status == "canceled" {
        fields += #","status":"canceled","canceled_at":"\#(ack)""#
      } else {
        fields += #","status":"resolved","resolved_at":"\#(ack)""#
      }
      return "{" + fields + "}"
    }
    return [
      incident(
        "I1", service: "mail", cause: "queue", mode: "FM-1", detection: "user_report", opened: "2026-10-01T00:00:00Z",
        ack: "2026-10-01T00:10:00Z"),
      incident(
        "I2", service: "mail", cause: "other", mode: "FM-1", detection: "monitoring_alert",
        opened: "2026-09-01T00:00:00Z", ack: "2026-09-01T00:20:00Z"),
      incident(
        "I3", service: "mail", cause: " Disk FULL ", mode: nil, detection: "synthetic_check",
        opened: "2026-08-01T00:00:00Z", ack: "2026-08-01T01:30:00Z"),
      incident(
        "I4", service: "mail", cause: "disk full", mode: nil, detection: "user_report", opened: "2026-07-01T00:00:00Z",
        ack: "2026-07-01T00:05:00Z", status: "canceled"),
      incident(
        "I5", service: "mail", cause: "disk full", mode: nil, detection: "user_report", opened: "2025-09-01T00:00:00Z",
        ack: "2025-09-01T00:05:00Z"),
      incident(
        "I6", service: "dns", cause: "disk full", mode: nil, detection: "user_report", opened: "2026-10-02T00:00:00Z",
        ack: "2026-10-02T00:05:00Z"),
      // FM-1's service and cause, but it names FM-3 (closed): an occurrence of FM-3 only.
      incident(
        "I7", service: "mail", cause: "disk full", mode: "FM-3", detection: "user_report",
        opened: "2026-10-03T00:00:00Z", ack: "2026-10-03T00:05:00Z"),
      // A mistyped mode: an occurrence of nothing.
      incident(
        "I8", service: "mail", cause: "disk full", mode: "FM-99", detection: "user_report",
        opened: "2026-10-04T00:00:00Z", ack: "2026-10-04T00:05:00Z"),
    ].joined(separator: "\n") + "\n"
  }()

  @Test func deriveProposesOccurrenceAndDetectionFromLinkedIncidents() throws {
    let s = try sandbox()
    try add(s, cause: "Disk full")
    try add(s, service: "dns", cause: "cert expired", ["6", "7", "3"])
    try add(s, cause: "disk full")
    #expect(try s.fmea(["status", "FM-3", "closed", "--reason", "replaced by FM-1"]).status == 0)
    let imported = try s.incident(["import", "-q"], stdin: FMEAEndToEndTests.history)
    #expect(imported.status == 0, "\(imported.stderr)")
    let before = try s.snapshot()
    let proposals = try s.fmea(["derive"])
    #expect(proposals.status == 0, "\(proposals.stderr)")
    let one = try #require(proposals.records.first { $0["id"] as? String == "FM-1" })
    // I1 and I2 name FM-1; I3 has its service and cause (case and spaces aside); I4 is
    // canceled, I5 older than 365 days, I6 another service. Three a year: occurrence 5.
    let basis = try #require(one["basis"] as? [String: Any])
    #expect(basis["incidents"] as? Int == 3)
    #expect(basis["linked_by_id"] as? Int == 2)
    #expect(basis["linked_by_cause"] as? Int == 1)
    #expect(one["proposed_occurrence"] as? Int == 5)
    // user_report 9, monitoring_alert 6, synthetic_check 3: mean 6; median ack 20 min.
    #expect(one["proposed_detection"] as? Int == 6)
    #expect(basis["mtta_p50_min"] as? Double == 20)
    #expect(one["proposed_rpn"] as? Int == 7 * 5 * 6)
    #expect(one["changed"] as? Bool == true)
    #expect(one["applied"] as? Bool == false)
    // Never seen: occurrence 2, detection kept.
    let two = try #require(proposals.records.first { $0["id"] as? String == "FM-2" })
    #expect(two["proposed_occurrence"] as? Int == 2)
    #expect(two["proposed_detection"] as? Int == 3)
    // Proposing writes nothing; neither does --apply --dry-run.
    #expect(try s.snapshot() == before)
    let dry = try s.fmea(["derive", "--apply", "--dry-run"])
    #expect(dry.status == 0)
    #expect(dry.records.count == 2 && dry.records.allSatisfy { $0["applied"] as? Bool == false })
    #expect(try s.snapshot() == before)
    let applied = try s.fmea(["derive", "--apply"])
    #expect(applied.status == 0)
    #expect(applied.records.map { $0["id"] as? String } == ["FM-1", "FM-2"])
    #expect(applied.records.allSatisfy { $0["applied"] as? Bool == true })
    let afterApply = try s.snapshot()
    #expect(afterApply != before)
    let again = try s.fmea(["derive", "--apply"])
    #expect(again.status == 0)
    #expect(again.records.count == 2)
    #expect(again.records.allSatisfy { $0["changed"] as? Bool == false })
    #expect(try s.snapshot() == afterApply)
    let history = try s.fmea(["show", "FM-1"]).records.filter { $0["kind"] as? String == "fmea.evaluation" }
    #expect(history.count == 2)
    #expect((history.last?["basis"] as? [String: Any])?["incidents"] as? Int == 3)
    #expect(history.last?["source"] as? String == "derive")
  }

  @Test func anAlertIsRaisedOnceAndClearedOnceThroughTheOutbox() throws {
    let s = try sandbox()
    try add(s, ["9", "8", "2"])  // RPN 144, AP H
    try add(s, service: "dns", cause: "c", ["3", "3", "3"])  // RPN 27, AP L
    let raised = try s.fmea(["alert"])
    #expect(raised.status == 0, "\(raised.stderr)")
    #expect(raised.records.count == 1)
    #expect(raised.records.first?["state"] as? String == "raised")
    #expect(raised.records.first?["reasons"] as? [String] == ["rpn 144 > 120", "action priority H"])
    let before = try s.snapshot()
    let second = try s.fmea(["alert"])
    #expect(second.stdout.isEmpty)
    #expect(try s.snapshot() == before)
    let events = try s.fmea(["show", "FM-1"]).records.filter { $0["type"] as? String == "alert_raised" }
    #expect(events.count == 1)
    #expect(events.first?["rpn"] as? Int == 144)
    #expect(events.first?["notification"] as? String == raised.records.first?["notification"] as? String)
    #expect(try s.fmea(["alert", "--check"]).status == 3)
    let notifications = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT recipient, channel, reason FROM notifications\"")
    #expect(notifications.stdout == "messaging|team|fmea_alert\n")
    #expect(try s.fmea(["rescore", "FM-1", "--o", "3", "--reason", "fixed"]).status == 0)
    let cleared = try s.fmea(["alert", "--check"])
    #expect(cleared.status == 0)
    #expect(cleared.records.map { $0["state"] as? String } == ["cleared"])
    #expect(try s.fmea(["alert"]).stdout.isEmpty)
    let count = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM notifications WHERE entity = 'failure_mode'\"")
    #expect(count.stdout == "2\n")
    // Crossing again is a new alert with a new notification; a dry run of it changes nothing.
    #expect(try s.fmea(["rescore", "FM-1", "--o", "8", "--reason", "it came back"]).status == 0)
    let beforeRaise = try s.snapshot()
    let dry = try s.fmea(["alert", "--dry-run"])
    #expect(dry.records.map { $0["state"] as? String } == ["raised"])
    #expect(try s.snapshot() == beforeRaise)
    let again = try s.fmea(["alert"])
    #expect(again.records.map { $0["state"] as? String } == ["raised"])
    #expect(again.records.first?["notification"] as? String != raised.records.first?["notification"] as? String)
    let total = try s.shell("sqlite3 \"$ITSM_DB\" \"SELECT count(*) FROM notifications WHERE entity = 'failure_mode'\"")
    #expect(total.stdout == "3\n")
    // Other thresholds are a question: every mode over them, nothing changed.
    let asked = try s.snapshot()
    let flags = try s.fmea(["alert", "--rpn-over", "20", "--ap", "none", "--check"])
    #expect(flags.status == 3)
    #expect(flags.records.map { $0["id"] as? String } == ["FM-1", "FM-2"])
    #expect(flags.records.allSatisfy { $0["state"] as? String == "over" })
    #expect(flags.records.last?["rpn"] as? Int == 27)
    #expect(try s.snapshot() == asked)
    #expect(try s.fmea(["alert", "--ap", "X"]).status == 64)
  }

  @Test func theDependencyMapAndItsSinglePointsOfFailure() throws {
    let s = try sandbox()
    let deps = try s.fmea(["deps", "--service", "api"])
    #expect(deps.status == 0, "\(deps.stderr)")
    var relations: [String: String] = [:]
    for r in deps.records { relations[r["name"] as! String] = r["relation"] as? String }
    #expect(
      relations == [
        "api": "self", "web": "downstream", "db-a": "upstream", "db-b": "upstream", "san": "upstream",
        "dns": "upstream",
      ])
    let dot = try s.fmea(["deps", "--format", "dot"])
    #expect(dot.stdout.hasPrefix("digraph services {"))
    #expect(dot.stdout.contains(#""api" -> "db-a" [style=dashed, label="or"];"#))
    #expect(dot.stdout.contains(#""api" -> "dns";"#))
    let mermaid = try s.fmea(["deps", "--format", "mermaid", "--service", "mail"])
    #expect(mermaid.stdout.hasPrefix("graph LR\n"))
    #expect(mermaid.stdout.contains("classDef vital"))
    #expect(try s.fmea(["list", "--format", "dot"]).status == 64)
    #expect(try s.fmea(["deps", "--service", "nowhere"]).status == 1)

    try add(s, service: "dns", cause: "zone transfer fails")
    let spof = try s.fmea(["spof"])
    #expect(spof.status == 0, "\(spof.stderr)")
    let components = spof.records.map { $0["component"] as? String }
    // dns cuts api, web and mail; san cuts api and web (both databases need it); api cuts
    // web. db-a and db-b have each other.
    #expect(components == ["dns", "san", "api"])
    let dns = spof.records[0]
    #expect(dns["cuts"] as? [String] == ["api", "mail", "web"])
    #expect(dns["single_dependency"] as? Bool == true)
    #expect(dns["blast_radius"] as? Int == 3)
    #expect((dns["failure_modes"] as? [[String: Any]])?.first?["id"] as? String == "FM-1")
    #expect(spof.records[1]["single_dependency"] as? Bool == false)
  }

  @Test(arguments: ["deps", "spof"])
  func aCycleInTheCatalogIsNamedNotFollowedForever(command: String) throws {
    let s = try Sandbox()
    let path = try s.write(
      "cycle.yaml",
      """
      services:
        a: {tier: vital, depends_on: [b]}
        b: {tier: critical, depends_on: [c]}
        c: {tier: important, depends_on: [a]}
      """)
    let r = try s.fmea([command, "--policy", path])
    #expect(r.status == 78)
    #expect(r.stderr.contains("dependency cycle: "), "\(r.stderr)")
    #expect(["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"].contains { r.stderr.contains($0) })
  }

  @Test func riskPutsActionPriorityFirstAndWeighsTierAndCost() throws {
    let s = try sandbox()
    try add(s, service: "wiki", cause: "a", ["9", "8", "2"])  // AP H, RPN 144, deferrable
    try add(s, service: "mail", cause: "b", ["6", "5", "8"])  // AP M, RPN 240, critical
    try add(s, service: "dns", cause: "c", ["6", "5", "8"])  // AP M, RPN 240, important
    let risk = try s.fmea(["risk"])
    #expect(risk.status == 0, "\(risk.stderr)")
    #expect(risk.records.map { $0["id"] as? String } == ["FM-1", "FM-2", "FM-3"])
    // RPN x tier weight (deferrable 1, critical 3, important 2) x exposure 1 (no incidents).
    #expect(risk.records.map { $0["score"] as? Double } == [144, 720, 480])
    // One dns incident with cause c: 100 users x 60 min = 100 lost hours x 50 = 5,000; the
    // exposure 1 + log10(1 + 5) = 1.778 lifts FM-3 to 480 x 1.778 = 853.5, above FM-2.
    let incident =
      #"{"id":"R1","title":"t","service":"dns","priority":"P2","root_cause":"c","users_affected":100,"status":"resolved","opened_at":"2026-10-01T00:00:00Z","acknowledged_at":"2026-10-01T00:05:00Z","resolved_at":"2026-10-01T01:00:00Z"}"#
    #expect(try s.incident(["import", "-q"], stdin: incident).status == 0)
    let weighed = try s.fmea(["risk"])
    #expect(weighed.records.map { $0["id"] as? String } == ["FM-1", "FM-3", "FM-2"])
    let fm3 = weighed.records[1]
    #expect(fm3["score"] as? Double == 853.5)
    #expect(fm3["cost"] as? Double == 5000)
    #expect(fm3["lost_hours"] as? Double == 100)
    #expect(fm3["incidents"] as? Int == 1)
    #expect(fm3["rank"] as? Int == 2)
    #expect(try s.fmea(["list", "--sort", "rpn"]).records.map { $0["id"] as? String } == ["FM-2", "FM-3", "FM-1"])
    #expect(try s.fmea(["list", "--sort", "risk"]).records.map { $0["id"] as? String } == ["FM-1", "FM-3", "FM-2"])
    let csv = try s.fmea(["worksheet", "--format", "csv"])
    let lines = csv.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }
    #expect(lines.first?.hasPrefix("id,service,component,function,failure_mode,effect,severity,cause") == true)
    #expect(lines.count == 4)
    let markdown = try s.fmea(["worksheet", "--format", "markdown"])
    #expect(
      markdown.stdout.contains("| Failure mode |") || markdown.stdout.contains("| FAILURE MODE |"), "\(markdown.stdout)"
    )
  }

  @Test func dryRunsChangeNothingAndEveryChangeIsAnEvent() throws {
    let s = try sandbox()
    try add(s)
    let before = try s.snapshot()
    for args in [
      ["action", "add", "FM-1", "--text", "t", "--owner", "o", "--due", "2026-12-01", "--dry-run"],
      ["status", "FM-1", "accepted", "--reason", "r", "--dry-run"],
      ["rescore", "FM-1", "--s", "2", "--reason", "r", "--dry-run"],
      [
        "add", "--service", "dns", "--component", "c", "--mode", "m", "--effect", "e", "--cause", "c", "--s", "1",
        "--o", "1", "--d", "1", "--dry-run",
      ],
      ["import", "--dry-run"],
    ] {
      let r = try s.fmea(args, stdin: FMEAEndToEndTests.line("FM-7"))
      #expect(r.status == 0, "\(args): \(r.stderr)")
      #expect(!r.stdout.isEmpty)
      #expect(try s.snapshot() == before, "\(args)")
    }
    #expect(try s.fmea(["action", "add", "FM-1", "--text", "t", "--owner", "o", "--due", "2026-12-01"]).status == 0)
    #expect(try s.fmea(["action", "done", "FM-1", "1"]).status == 0)
    #expect(try s.fmea(["status", "FM-1", "accepted", "--reason", "CAB"]).status == 0)
    let types = try s.fmea(["show", "FM-1"]).records.compactMap { $0["type"] as? String }
    #expect(types == ["created", "action_added", "status_changed", "action_done", "status_changed"])
    #expect(try s.fmea(["action", "add", "FM-1", "--text", " ", "--owner", "o", "--due", "2026-12-01"]).status == 64)
    #expect(try s.fmea(["action", "add", "FM-1", "--text", "t", "--owner", "o", "--due", "someday"]).status == 64)
  }

  @Test func aPartialRecordKeepsWhatItLeavesOut() throws {
    let s = try sandbox()
    try add(s)
    #expect(try s.fmea(["status", "FM-1", "accepted", "--reason", "CAB"]).status == 0)
    #expect(try s.fmea(["action", "add", "FM-1", "--text", "t", "--owner", "o", "--due", "2026-12-01"]).status == 0)
    // No owner, status or actions: they stay; the new detection is an evaluation.
    let partial =
      #"{"id":"FM-1","service":"mail","component":"relay","failure_mode":"queue stalls","effect":"mail delayed","cause":"disk full","severity":7,"occurrence":5,"detection":2}"#
    let r = try s.fmea(["import"], stdin: partial)
    #expect(r.records.first?["updated"] as? Int == 1)
    let mode = try s.fmea(["show", "FM-1"]).records[0]
    #expect(mode["status"] as? String == "accepted")
    #expect((mode["actions"] as? [Any])?.count == 1)
    #expect(mode["detection"] as? Int == 2)
    let bad =
      #"{"id":"FM-1","service":"mail","component":"relay","failure_mode":"x","effect":"e","cause":"c","severity":7,"occurrence":5,"detection":2,"actions":[{"text":"t","due":"next week"}]}"#
    let rejected = try s.fmea(["import"], stdin: bad)
    #expect(rejected.status == 65)
    #expect(rejected.stderr.contains("<stdin>:1: actions[0]: 'due': unparseable timestamp"), "\(rejected.stderr)")
  }

  @Test func policyCheckRefusesACycleInTheCatalog() throws {
    let s = try Sandbox()
    let path = try s.write(
      "cycle.yaml",
      "services:\n  a: {tier: vital, depends_on: [b]}\n  b: {tier: vital, depends_on: [\"a|c\"]}\n  c: {tier: vital}\n")
    let r = try s.escalate(["policy", "check", path])
    #expect(r.status == 78)
    #expect(
      r.stderr.contains("dependency cycle: a -> b -> a") || r.stderr.contains("dependency cycle: b -> a -> b"),
      "\(r.stderr)")
    let blank = try s.write("blank.yaml", "services:\n  a: {tier: vital, depends_on: [\"|\"]}\n")
    #expect(try s.escalate(["policy", "check", blank]).status == 78)
  }
}
