import Foundation
import Testing

@Suite("itsm-incident lifecycle, end to end")
struct LifecycleTests {
  @Test func openAcknowledgeAssignResolveClose() throws {
    let s = try Sandbox()
    let id = try s.open(extra: ["--users-affected", "100"])
    #expect(id == "INC-1")
    var r = try s.incident(["ack", id, "--now", "2026-11-01T09:04:00Z"])
    #expect(r.status == 0)
    #expect(r.stderr == "")
    #expect(r.records.first?["status"] as? String == "acknowledged")
    #expect(r.records.first?["acknowledged_at"] as? String == "2026-11-01T09:04:00Z")
    r = try s.incident(["assign", id, "--to", "bo", "--team", "messaging", "--now", "2026-11-01T09:05:00Z"])
    #expect(r.records.first?["status"] as? String == "in_progress")
    #expect(r.records.first?["reassignment_count"] as? Int == 0)
    r = try s.incident(["assign", id, "--to", "chen", "--now", "2026-11-01T09:06:00Z"])
    #expect(r.records.first?["reassignment_count"] as? Int == 1)
    r = try s.incident(["resolve", id, "--now", "2026-11-01T10:30:00Z"])
    #expect(r.records.first?["status"] as? String == "resolved")
    // 100 users x 90 minutes, priced at the default 50 an hour.
    #expect(r.records.first?["productivity_loss_min"] as? Double == 9000)
    #expect(r.records.first?["financial_impact"] as? Double == 7500)

    let before = try s.snapshot()
    r = try s.incident(["close", id, "--now", "2026-11-01T11:00:00Z"])
    #expect(r.status == 1)
    #expect(r.stdout == "")
    #expect(r.stderr.contains("missing a root cause (--root-cause) and resolution notes (--resolution)"))
    #expect(try s.snapshot() == before)

    r = try s.incident([
      "close", id, "--root-cause", "queue full", "--resolution", "raised limit", "--now", "2026-11-01T11:00:00Z",
    ])
    #expect(r.status == 0)
    #expect(r.records.first?["status"] as? String == "closed")

    let events = try s.incident(["events", "--incident", id]).records.map { $0["type"] as? String ?? "" }
    #expect(events == ["opened", "acknowledged", "assigned", "assigned", "resolved", "closed"])
  }

  @Test func secondAcknowledgementChangesNothing() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["ack", id, "--now", "2026-11-01T09:04:00Z"])
    let before = try s.snapshot()
    let r = try s.incident(["ack", id, "--now", "2026-11-01T09:10:00Z"])
    #expect(r.status == 0)
    #expect(r.stderr.contains("already acknowledged at 2026-11-01T09:04:00Z"))
    #expect(r.records.first?["acknowledged_at"] as? String == "2026-11-01T09:04:00Z")
    #expect(try s.snapshot() == before)
  }

  @Test func invalidTransitionExits1NamingTheState() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["cancel", id, "--reason", "false alarm", "--now", "2026-11-01T09:01:00Z"])
    let before = try s.snapshot()
    let r = try s.incident(["ack", id, "--now", "2026-11-01T09:02:00Z"])
    #expect(r.status == 1)
    #expect(r.stdout == "")
    #expect(r.stderr == "itsm-incident: cannot acknowledge INC-1: it is canceled\n")
    #expect(try s.snapshot() == before)
  }

  @Test func unknownIdExits1AndCreatesNoDatabase() throws {
    let s = try Sandbox()
    var r = try s.incident(["ack", "INC-404"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("no incident with id 'INC-404'"))
    #expect(!FileManager.default.fileExists(atPath: s.database))
    _ = try s.open()
    let before = try s.snapshot()
    r = try s.incident(["ack", "INC-404"])
    #expect(r.status == 1)
    #expect(try s.snapshot() == before)
  }

  @Test func reopenKeepsTheFirstResolutionAndCounts() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["resolve", id, "--now", "2026-11-01T10:00:00Z"])
    var r = try s.incident(["reopen", id, "--reason", "back again", "--now", "2026-11-01T12:00:00Z"])
    #expect(r.records.first?["status"] as? String == "in_progress")
    #expect(r.records.first?["reopen_count"] as? Int == 1)
    #expect(r.records.first?["resolved_at"] == nil)
    r = try s.incident(["resolve", id, "--now", "2026-11-01T13:00:00Z"])
    #expect(r.records.first?["first_resolved_at"] as? String == "2026-11-01T10:00:00Z")
    #expect(r.records.first?["resolved_at"] as? String == "2026-11-01T13:00:00Z")
  }

  @Test func holdAndResume() throws {
    let s = try Sandbox()
    let id = try s.open()
    var r = try s.incident(["hold", id, "--reason", "vendor", "--now", "2026-11-01T09:10:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("it is new; acknowledge it first"))
    _ = try s.incident(["ack", id, "--now", "2026-11-01T09:11:00Z"])
    r = try s.incident(["hold", id, "--reason", "vendor", "--now", "2026-11-01T09:12:00Z"])
    #expect(r.records.first?["status"] as? String == "on_hold")
    r = try s.incident(["resume", id, "--now", "2026-11-01T09:30:00Z"])
    #expect(r.records.first?["status"] as? String == "in_progress")
  }

  @Test func manualPriorityIsKeptApartFromTheMatrix() throws {
    let s = try Sandbox()
    let id = try s.open()
    var r = try s.incident(["update", id, "--set", "priority=P1", "--now", "2026-11-01T09:10:00Z"])
    #expect(r.records.first?["priority"] as? String == "P1")
    #expect(r.records.first?["priority_source"] as? String == "manual")
    #expect(r.records.first?["matrix_priority"] as? String == "P3")
    r = try s.incident(["update", id, "--set", "impact=1", "--now", "2026-11-01T09:11:00Z"])
    #expect(r.records.first?["priority"] as? String == "P1")
    #expect(r.records.first?["matrix_priority"] as? String == "P2")
    r = try s.incident(["update", id, "--set", "priority=matrix", "--now", "2026-11-01T09:12:00Z"])
    #expect(r.records.first?["priority"] as? String == "P2")
    let types = try s.incident(["events", "--incident", id]).records.map { $0["type"] as? String ?? "" }
    #expect(types == ["opened", "priority_changed", "updated", "priority_changed"])
    r = try s.incident(["update", id, "--set", "status=closed"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("'status' cannot be set"))
  }

  @Test func updateKeepsImpactAndUrgencyTogether() throws {
    let s = try Sandbox()
    let r0 = try s.incident([
      "open", "--title", "t", "--service", "s", "--priority", "P2", "--now", "2026-11-01T09:00:00Z",
    ])
    let id = r0.records.first?["id"] as? String ?? ""
    let before = try s.snapshot()
    var r = try s.incident(["update", id, "--set", "impact=1", "--now", "2026-11-01T09:05:00Z"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("impact and urgency go together"))
    #expect(try s.snapshot() == before)
    r = try s.incident(["update", id, "--set", "impact=1", "--set", "urgency=3", "--now", "2026-11-01T09:05:00Z"])
    #expect(r.records.first?["priority"] as? String == "P2")
    #expect(r.records.first?["matrix_priority"] as? String == "P3")
  }

  @Test func actingBeforeTheLastChangeIsRefused() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["resolve", id, "--now", "2026-11-01T10:00:00Z"])
    let before = try s.snapshot()
    let r = try s.incident(["close", id, "--root-cause", "c", "--resolution", "r", "--now", "2026-11-01T09:30:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("its last change was later, at 2026-11-01T10:00:00Z"))
    #expect(try s.snapshot() == before)
    let far = try s.incident(["list", "--now", "+15250284452w"])
    #expect(far.status == 64)
  }

  @Test func assigningTheSameOwnerTwiceAddsNothing() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["assign", id, "--to", "ana", "--now", "2026-11-01T09:01:00Z"])
    let before = try s.snapshot()
    let r = try s.incident(["assign", id, "--to", "ana", "--now", "2026-11-01T09:02:00Z"])
    #expect(r.status == 0)
    #expect(r.stderr.contains("nothing changed"))
    #expect(try s.snapshot() == before)
  }

  @Test func ackRecordsAMissingAcknowledgementOfImportedWork() throws {
    let s = try Sandbox()
    let line =
      #"{"id":"OLD-1","title":"t","service":"s","priority":"P3","status":"in_progress","opened_at":"2026-10-01T00:00:00Z"}"#
    _ = try s.incident(["import"], stdin: line + "\n")
    let r = try s.incident(["ack", "OLD-1", "--now", "2026-11-01T00:00:00Z"])
    #expect(r.records.first?["acknowledged_at"] as? String == "2026-11-01T00:00:00Z")
    #expect(r.records.first?["status"] as? String == "in_progress")
  }

  @Test func eventsResumeAfterASequenceNumberAndNameTheActor() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["ack", id, "--now", "2026-11-01T09:01:00Z", "--actor", "ana"])
    _ = try s.incident(["note", id, "hello", "--now", "2026-11-01T09:02:00Z"])
    let all = try s.incident(["events"]).records
    #expect(all.map { $0["seq"] as? Int } == [1, 2, 3])
    #expect(all.map { $0["actor"] as? String } == ["tester", "ana", "tester"])
    let after = try s.incident(["events", "--after-seq", "1"]).records
    #expect(after.map { $0["type"] as? String } == ["acknowledged", "note"])
  }

  @Test func tableMarkdownAndCSVShapes() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.open("second")
    var r = try s.incident(["list", "--format", "table"])
    #expect(r.stdout.hasPrefix("ID     STATUS  PRI  SERVICE  TITLE"))
    #expect(r.stdout.split(separator: "\n").count == 3)
    r = try s.incident(["list", "--format", "markdown"])
    #expect(r.stdout.hasPrefix("| id | status | pri | service | title |"))
    r = try s.incident(["show", id, "--format", "csv"])
    let lines = r.stdout.components(separatedBy: "\r\n")
    #expect(lines.first?.hasPrefix("id,title,service") == true)
    #expect(lines.contains { $0.hasPrefix("seq,at,incident,type") })
  }

  @Test func twoProcessesCreatingTheDatabaseAtOnce() throws {
    let s = try Sandbox()
    let db = s.path("fresh/new.db")
    let r = try s.shell(
      "for i in 1 2 3 4; do itsm-incident open --title t$i --service s --priority P3 --db \(db) >/dev/null & done; wait"
    )
    #expect(r.status == 0)
    #expect(r.stderr == "")
    #expect(try s.incident(["list", "--db", db]).records.count == 4)
  }

  @Test func listFiltersSortsAndRejectsBadFlags() throws {
    let s = try Sandbox()
    _ = try s.open("a", service: "mail", at: "2026-11-01T09:00:00Z")
    _ = try s.open("b", service: "vpn", at: "2026-11-02T09:00:00Z")
    _ = try s.incident(["resolve", "INC-1", "--now", "2026-11-03T00:00:00Z"])
    var r = try s.incident(["list", "--open"])
    #expect(r.records.map { $0["id"] as? String } == ["INC-2"])
    r = try s.incident(["list", "--sort", "opened_at:desc"])
    #expect(r.records.map { $0["id"] as? String } == ["INC-2", "INC-1"])
    r = try s.incident(["list", "--sort=-opened_at", "--limit", "1"])
    #expect(r.records.map { $0["id"] as? String } == ["INC-2"])
    r = try s.incident(["list", "--service", "mail", "--since", "2026-11-01", "--until", "2026-11-02"])
    #expect(r.records.map { $0["id"] as? String } == ["INC-1"])
    r = try s.incident(["list", "--since", "-1d", "--now", "2026-11-02T12:00:00Z"])
    #expect(r.records.map { $0["id"] as? String } == ["INC-2"])
    r = try s.incident(["list", "--since", "2026-11-05", "--until", "2026-11-01"])
    #expect(r.status == 64)
    r = try s.incident(["list", "--sort", "title; DROP TABLE incidents"])
    #expect(r.status == 64)
    r = try s.incident(["list", "--service", "mail' OR '1'='1"])
    #expect(r.status == 0)
    #expect(r.records.isEmpty)
    r = try s.incident(["list", "--format", "csv"])
    #expect(r.stdout.hasPrefix("id,title,service,status,priority"))
  }

  @Test func openValidatesItsFlags() throws {
    let s = try Sandbox()
    for (args, message) in [
      (["--impact", "0", "--urgency", "1"], "'--impact' must be 1, 2 or 3 (got 0)"),
      (["--impact", "4", "--urgency", "1"], "'--impact' must be 1, 2 or 3 (got 4)"),
      (["--impact", "1"], "'--impact' and '--urgency' go together"),
      (["--priority", "P9"], "'--priority' must be P1..P5"),
    ] {
      let r = try s.incident(["open", "--title", "t", "--service", "s"] + args)
      #expect(r.status == 64, "\(args)")
      #expect(r.stderr.contains(message), "\(r.stderr)")
    }
    #expect(!FileManager.default.fileExists(atPath: s.database))
  }

  @Test func showPrintsTheIncidentThenItsTimeline() throws {
    let s = try Sandbox()
    let id = try s.open()
    _ = try s.incident(["note", id, "paged the vendor", "--now", "2026-11-01T09:03:00Z"])
    let r = try s.incident(["show", id])
    #expect(r.records.map { $0["kind"] as? String } == ["incident", "event", "event"])
    #expect(r.records.last?["text"] as? String == "paged the vendor")
    #expect(r.records.last?["actor"] as? String == "tester")
  }

  @Test func versionHelpAndCompletions() throws {
    let s = try Sandbox()
    #expect(try s.incident(["--version"]).stdout == "0.1.0\n")
    #expect(try s.incident(["open", "--help"]).stdout.contains("--impact-type"))
    let completion = try s.incident(["--generate-completion-script", "bash"])
    #expect(completion.status == 0)
    #expect(completion.stdout.contains("_itsm-incident"))
  }

  @Test func closedPipeEndsQuietly() throws {
    let s = try Sandbox()
    let data = try s.run("itsm-gen", ["incidents", "--days", "30"]).stdout
    try s.write("demo.jsonl", data)
    #expect(try s.incident(["import", "--input", s.path("demo.jsonl"), "-q"]).status == 0)
    let r = try s.shell("itsm-incident export | head -1 >/dev/null; echo \"status=${PIPESTATUS[0]}\"")
    #expect(r.stdout == "status=0\n")
    #expect(r.stderr == "")
  }

  @Test func databaseIsCreatedPrivate() throws {
    let s = try Sandbox()
    try? FileManager.default.removeItem(atPath: s.path("data"))
    let db = s.path("data/deep/itsm.db")
    _ = try s.incident(["open", "--title", "t", "--service", "s", "--priority", "P3", "--db", db])
    let attributes = try FileManager.default.attributesOfItem(atPath: db)
    #expect((attributes[.posixPermissions] as? Int) == 0o600)
  }
}
