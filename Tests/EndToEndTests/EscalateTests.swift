import Foundation
import Testing

/// A day of incidents replayed minute by minute against a routed policy, on the day Berlin
/// leaves summer time (2026-10-25, 01:00 UTC): 06:30 UTC is 07:30 local, outside EMEA hours,
/// although it was inside them the day before.
private let replayPolicy = """
  version: 1
  escalation:
    calendars:
      emea-hours: {timezone: Europe/Berlin, days: [mon-sun], hours: "08:00-18:00"}
    policies:
      emea:
        ack_timeout: 20m
        renotify_limit: 1
        levels:
          - {targets: [schedule:emea-primary], delay: 5m}
          - {targets: [person:emea-lead, team:emea-sre], delay: 10m, repeat: 1}
      amer:
        levels:
          - {targets: [schedule:amer-primary], delay: 10m}
          - {targets: [person:amer-lead], delay: 30m}
    routes:
      - {calendar: emea-hours, policy: emea}
      - {policy: amer}
    war_room: {priorities: [P1], channel: "#war-{id}", roles: [incident_commander, communications_lead]}
  sla:
    targets:
      P1: {response: 10m, resolution: 60m}
      P3: {response: 30m, resolution: 4h}
  """

@Suite("itsm-escalate, end to end")
struct EscalateTests {
  @Test func aDayReplayedMinuteByMinuteMatchesTheHandWrittenExpectation() throws {
    let s = try Sandbox()
    try s.write("policy.yaml", replayPolicy)
    let script = """
      set -e
      export ITSM_POLICY=policy.yaml
      t0=$(date -u -d 2026-10-25T06:00:00Z +%s)
      for m in $(seq 0 150); do
        T=$(date -u -d @$((t0 + m * 60)) +%Y-%m-%dT%H:%M:%SZ)
        case $m in
          30) itsm-incident open --now $T --title "Mail down" --service mail --priority P1 >/dev/null ;;
          50) itsm-incident ack INC-1 --now $T >/dev/null ;;
          65) itsm-incident open --now $T --title "VPN slow" --service vpn --impact 2 --urgency 2 --team netops >/dev/null ;;
          68) itsm-incident ack INC-2 --now $T >/dev/null ;;
          80) itsm-incident resolve INC-1 --now $T --root-cause "disk full" >/dev/null ;;
          100) itsm-incident hold INC-2 --now $T --reason "waiting for the vendor" >/dev/null ;;
          110) itsm-incident open --now $T --title "Web errors" --service web --impact 2 --urgency 2 >/dev/null ;;
          130) itsm-incident resume INC-2 --now $T >/dev/null ;;
        esac
        itsm-escalate tick -q --now $T >> notifications.jsonl
      done
      """
    let run = try s.shell(script)
    #expect(run.status == 0, "\(run.stderr)")
    let lines = try String(contentsOfFile: s.path("notifications.jsonl"), encoding: .utf8)
    let notifications = lines.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }.map { n in
      let time = (n["created_at"] as? String ?? "").dropFirst(11).prefix(5)
      return "\(time) \(n["incident"] ?? "") \(n["reason"] ?? "") \(n["to"] ?? "")"
    }
    #expect(
      notifications == [
        "06:30 INC-1 page amer-primary",
        "06:30 INC-1 war_room #war-inc-1",
        "06:38 INC-1 sla_warning amer-primary",
        "06:40 INC-1 timeout amer-lead",
        "06:40 INC-1 sla_breach amer-primary",
        "07:05 INC-2 page emea-primary",
        "07:15 INC-1 sla_warning amer-primary",
        "07:28 INC-2 ack_timeout netops",
        "07:50 INC-3 page emea-primary",
        "07:55 INC-3 timeout emea-lead",
        "07:55 INC-3 timeout emea-sre",
        "08:05 INC-3 timeout emea-lead",
        "08:05 INC-3 timeout emea-sre",
        "08:13 INC-3 sla_warning emea-primary",
        "08:20 INC-3 sla_breach emea-primary",
      ])
    let events = try s.incident(["events"]).records.filter {
      ["paged", "escalated", "renotified", "war_room_opened"].contains($0["type"] as? String ?? "")
        || ($0["type"] as? String ?? "").hasPrefix("sla_")
    }.map { e in
      let time = (e["at"] as? String ?? "").dropFirst(11).prefix(5)
      let detail = (e["clock"] as? String) ?? (e["level"].map { "L\($0)" }) ?? ""
      return "\(time) \(e["incident"] ?? "") \(e["type"] ?? "") \(detail)"
    }
    #expect(
      events == [
        "06:30 INC-1 paged L1",
        "06:30 INC-1 war_room_opened ",
        "06:38 INC-1 sla_warning response",
        "06:40 INC-1 escalated L2",
        "06:40 INC-1 sla_breach response",
        "07:05 INC-2 paged L1",
        "07:08 INC-2 sla_met response",
        "07:15 INC-1 sla_warning resolution",
        "07:20 INC-1 sla_met resolution",
        "07:28 INC-2 renotified ",
        "07:50 INC-3 paged L1",
        "07:55 INC-3 escalated L2",
        "08:05 INC-3 escalated L2",
        "08:13 INC-3 sla_warning response",
        "08:20 INC-3 sla_breach response",
      ])
    // The 30 minutes on hold push INC-2's resolution deadline from 11:05 to 11:35.
    let plan = try s.escalate(["plan", "--policy", s.path("policy.yaml"), "--now", "2026-10-25T08:30:00Z"])
    let sla = plan.records.first { $0["kind"] as? String == "sla" && $0["incident"] as? String == "INC-2" }
    #expect(sla?["resolution_due"] as? String == "2026-10-25T11:35:00Z")
    #expect(sla?["response_state"] as? String == "met")
    #expect(sla?["policy"] as? String == "emea")
    // A second tick at the same moment changes nothing.
    let before = try s.snapshot()
    let again = try s.escalate(["tick", "-q", "--policy", s.path("policy.yaml"), "--now", "2026-10-25T08:30:00Z"])
    #expect(again.status == 0 && again.stdout.isEmpty)
    #expect(try s.snapshot() == before)
  }

  @Test func theCheckFlagExitsThreeOnABreachAndTheRecordsAgreeWithStdin() throws {
    let s = try Sandbox()
    _ = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"])
    var r = try s.escalate(["tick", "--check", "--now", "2026-11-02T09:05:00Z"])
    #expect(r.status == 0)
    r = try s.escalate(["tick", "--check", "--now", "2026-11-02T09:20:00Z"])
    #expect(r.status == 3)
    #expect(r.stderr.contains("1 open incidents have breached an SLA"))
    #expect(r.records.contains { $0["reason"] as? String == "sla_breach" })
    // The same incident through a pipe: nothing written, the same verdict.
    let before = try s.snapshot()
    r = try s.shell("itsm-incident list --open | itsm-escalate tick --stdin --check --now 2026-11-02T09:20:00Z")
    #expect(r.status == 3)
    let reasons = Set(r.records.compactMap { $0["reason"] as? String })
    #expect(reasons == ["page", "timeout", "war_room", "sla_breach"])
    #expect(try s.snapshot() == before)
  }

  @Test func stdinRejectsALineThatIsNotAnIncident() throws {
    let s = try Sandbox()
    let incident =
      #"{"kind":"incident","id":"INC-9","title":"t","service":"mail","priority":"P2","opened_at":"2026-11-02T09:00:00Z"}"#
    let r = try s.escalate(
      ["tick", "--stdin", "--now", "2026-11-02T10:00:00Z"],
      stdin: incident + "\n" + #"{"kind":"event","type":"opened"}"# + "\n")
    #expect(r.status == 65)
    #expect(r.stderr.contains("<stdin>:2: not an incident record (kind 'event')"))
    #expect(r.stdout.isEmpty)
    #expect(!FileManager.default.fileExists(atPath: s.database))
  }

  @Test func twoTicksAtOnceQueueEachNotificationOnce() throws {
    let s = try Sandbox()
    for i in 0..<20 {
      _ = try s.open("Incident \(i)", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P\(i % 4 + 1)"])
    }
    let r = try s.shell(
      """
      pids=""
      for i in 1 2 3 4; do itsm-escalate tick -q --now 2026-11-02T12:00:00Z > tick-$i.jsonl & pids="$pids $!"; done
      for p in $pids; do wait $p || exit 9; done
      cat tick-*.jsonl
      """)
    #expect(r.status == 0, "\(r.stderr)")
    let ids = r.records.compactMap { $0["id"] as? String }
    #expect(!ids.isEmpty)
    #expect(Set(ids).count == ids.count)
    let stored = try s.run(
      "/usr/bin/python3",
      [
        "-c",
        "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from notifications').fetchone()[0])",
        s.database,
      ])
    #expect(stored.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(ids.count))
  }

  @Test func aTickThatCannotGetTheDatabaseChangesNothingAndTheNextOneDoesTheWork() throws {
    let s = try Sandbox()
    _ = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"])
    let before = try s.snapshot()
    let r = try s.shell(
      """
      python3 -c '
      import sqlite3, sys, time
      c = sqlite3.connect(sys.argv[1], isolation_level=None)
      c.execute("BEGIN IMMEDIATE"); open("locked", "w").close(); time.sleep(3); c.execute("ROLLBACK")' "$ITSM_DB" &
      while [ ! -e locked ]; do sleep 0.05; done
      ITSM_BUSY_TIMEOUT=1s itsm-escalate tick -q --now 2026-11-02T09:20:00Z; echo "status=$?"
      wait
      """)
    #expect(r.stdout.contains("status=75"))
    #expect(try s.snapshot() == before)
    let next = try s.escalate(["tick", "-q", "--now", "2026-11-02T09:20:00Z"])
    #expect(next.status == 0)
    #expect(Set(next.records.compactMap { $0["reason"] as? String }) == ["page", "timeout", "war_room", "sla_breach"])
  }

  @Test func aTickKilledHalfWayLeavesNothingAndTheNextOneDoesAllTheWork() throws {
    let s = try Sandbox()
    // A first tick over 3000 open incidents, killed (SIGKILL) inside its transaction after
    // 1000 of them are evaluated (most of their writes made, some still buffered), then after 2999.
    let r = try s.shell(
      """
      itsm-gen incidents --count 3000 --open 3000 --days 2 --end 2026-11-01 --seed 3 | itsm-incident import -q > /dev/null
      cp "$ITSM_DB" whole.db
      ITSM_DB=whole.db itsm-escalate tick -q --now 2026-11-01T12:00:00Z | wc -l > whole.count
      for n in 1000 2999; do
        ITSM_TEST_KILL_AFTER=$n itsm-escalate tick -q --now 2026-11-01T12:00:00Z > killed.jsonl
        echo "status $?" >> after-kill.txt
        python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("pragma integrity_check").fetchone()[0], c.execute("select count(*) from notifications").fetchone()[0], c.execute("select count(*) from escalation_state").fetchone()[0], c.execute("select count(*) from events where source = ?", ("tick",)).fetchone()[0])' "$ITSM_DB" >> after-kill.txt
        wc -c < killed.jsonl >> after-kill.txt
      done
      itsm-escalate tick -q --now 2026-11-01T12:00:00Z | wc -l
      """)
    #expect(r.status == 0, "\(r.stderr)")
    let whole =
      Int(
        try String(contentsOfFile: s.path("whole.count"), encoding: .utf8).trimmingCharacters(
          in: .whitespacesAndNewlines)) ?? -1
    #expect(whole > 3000)
    // After each kill: killed by the signal, a sound database, nothing of the tick in it
    // (the incidents were imported, never opened, so no state was pinned before), nothing
    // printed.
    let report = try String(contentsOfFile: s.path("after-kill.txt"), encoding: .utf8)
    #expect(report == "status 137\nok 0 0 0\n0\nstatus 137\nok 0 0 0\n0\n")
    // The next tick does all of the work, once.
    #expect(r.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == String(whole))
  }

  @Test func anIncidentKeepsThePolicyVersionItOpenedUnder() throws {
    let s = try Sandbox()
    let slow = try s.write(
      "slow.yaml",
      "escalation:\n  policies:\n    only:\n      levels:\n        - {targets: [person:first], delay: 1h}\n        - {targets: [person:second], delay: 1h}\n"
    )
    let old = try s.open("Old", at: "2026-11-02T09:00:00Z", extra: ["--policy", slow])
    // The file changes: level 2 now after 5 minutes.
    try s.write(
      "slow.yaml",
      "escalation:\n  policies:\n    only:\n      levels:\n        - {targets: [person:first], delay: 5m}\n        - {targets: [person:second], delay: 1h}\n"
    )
    let new = try s.open("New", at: "2026-11-02T09:00:00Z", extra: ["--policy", slow])
    let r = try s.escalate(["tick", "-q", "--policy", slow, "--now", "2026-11-02T09:30:00Z"])
    let escalated = r.records.filter { $0["reason"] as? String == "timeout" }.compactMap { $0["incident"] as? String }
    #expect(escalated == [new])
    #expect(!escalated.contains(old))
  }

  @Test func escalatingByHand() throws {
    let s = try Sandbox()
    let id = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P3"])
    var r = try s.escalate(["escalate", id, "--reason", "customer-facing", "--now", "2026-11-02T09:10:00Z"])
    #expect(r.status == 0, "\(r.stderr)")
    // Level 1 was due first (at opening), then the manual step to level 2.
    #expect(r.records.map { "\($0["reason"] ?? "") \($0["level"] ?? "")" } == ["page 1", "manual 2"])
    #expect(try s.incident(["show", id]).records.first?["escalation_level"] as? Int == 2)
    let events = try s.incident(["events", "--incident", id]).records
    let manual = events.first { $0["type"] as? String == "escalated" }
    #expect(manual?["reason"] as? String == "manual")
    #expect(manual?["text"] as? String == "customer-facing")
    r = try s.escalate(["escalate", id, "--level", "9", "--reason", "x", "--now", "2026-11-02T09:11:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("there is no level 9"))
    r = try s.escalate(["escalate", "INC-404", "--reason", "x"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("INC-404"))
    _ = try s.incident(["resolve", id, "--now", "2026-11-02T09:20:00Z"])
    _ = try s.incident(["close", id, "--root-cause", "x", "--resolution", "y", "--now", "2026-11-02T09:21:00Z"])
    let before = try s.snapshot()
    r = try s.escalate(["escalate", id, "--reason", "x", "--now", "2026-11-02T09:30:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("is closed; only open incidents escalate"))
    #expect(try s.snapshot() == before)
  }

  @Test(arguments: [
    ("level:\n        - {targets: [pager:ana], delay: 5m}", "unknown target kind 'pager'"),
    ("level:\n        - {targets: [person:ana], delay: -5m}", "a duration cannot be negative"),
    ("level:\n        - {targets: [person:ana], delay: 5 minutes}", "invalid duration '5 minutes'"),
  ])
  func policyCheckRefusesBadLevels(level: String, expected: String) throws {
    let s = try Sandbox()
    let text =
      "escalation:\n  policies:\n    p:\n      levels:\n" + level.replacingOccurrences(of: "level:\n", with: "")
    let file = try s.write("bad.yaml", text)
    let r = try s.escalate(["policy", "check", file])
    #expect(r.status == 78)
    #expect(r.stderr.contains("bad.yaml:5: escalation.policies.p.levels[0]"))
    #expect(r.stderr.contains(expected))
    // Every command refuses the bad policy the same way, and changes nothing.
    let tick = try s.escalate(["tick", "--policy", file])
    #expect(tick.status == 78)
    #expect(!FileManager.default.fileExists(atPath: s.database))
  }

  @Test func policyCheckRefusesUnknownZonesAndRoutesToNowhere() throws {
    let s = try Sandbox()
    var file = try s.write(
      "zone.yaml", "escalation:\n  calendars:\n    c: {timezone: Europe/Atlantis, hours: \"08:00-18:00\"}\n")
    var r = try s.escalate(["policy", "check", file])
    #expect(r.status == 78)
    #expect(r.stderr.contains("zone.yaml:3: escalation.calendars.c.timezone: unknown time zone 'Europe/Atlantis'"))
    file = try s.write("route.yaml", "escalation:\n  routes:\n    - {priority: P1, policy: ghost}\n")
    r = try s.escalate(["policy", "check", file])
    #expect(r.status == 78)
    #expect(r.stderr.contains("route.yaml:3: escalation.routes[0]: route names policy 'ghost', which does not exist"))
    // Hours across midnight are a night shift, not an error.
    file = try s.write(
      "night.yaml",
      "escalation:\n  calendars:\n    night: {timezone: America/New_York, days: [mon-fri], hours: \"18:00-08:00\"}\n  routes:\n    - {calendar: night, policy: critical}\n    - {policy: standard}\n"
    )
    r = try s.escalate(["policy", "check", file])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.stderr.contains("ok"))
  }

  @Test func policyShowPrintsAPolicyFileThatChecksAndShowsTheSame() throws {
    let s = try Sandbox()
    let shown = try s.escalate(["policy", "show"])
    #expect(shown.status == 0)
    #expect(shown.stdout.contains("critical:"))
    let file = try s.write("shown.yaml", shown.stdout)
    #expect(try s.escalate(["policy", "check", file]).status == 0)
    #expect(try s.escalate(["policy", "show", "--policy", file]).stdout == shown.stdout)
  }

  @Test func notifyRunsACommandPerNotificationAndRecordsTheDelivery() throws {
    let s = try Sandbox()
    let id = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"])
    let queued = try s.escalate(["tick", "-q", "--now", "2026-11-02T09:01:00Z"]).records.count
    #expect(queued == 2)
    var r = try s.escalate(["notify", "--exec", "cat >> delivered.jsonl", "--now", "2026-11-02T09:01:00Z"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.count == 2)
    let delivered = try String(contentsOfFile: s.path("delivered.jsonl"), encoding: .utf8)
    #expect(delivered.split(separator: "\n").count == 2)
    #expect(delivered.contains(#""reason":"page""#))
    let events = try s.incident(["events", "--incident", id]).records.filter {
      $0["type"] as? String == "notification_delivered"
    }
    #expect(events.count == 2)
    #expect(events.first?["via"] as? String == "exec")
    // Nothing is sent twice.
    r = try s.escalate(["notify", "--exec", "cat >> delivered.jsonl", "--now", "2026-11-02T09:02:00Z"])
    #expect(r.status == 0 && r.records.isEmpty)
  }

  @Test func twoNotifyRunsAtOnceDeliverEachNotificationOnce() throws {
    let s = try Sandbox()
    for i in 0..<6 { _ = try s.open("Incident \(i)", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"]) }
    let queued = try s.escalate(["tick", "-q", "--now", "2026-11-02T09:20:00Z"]).records.compactMap {
      $0["id"] as? String
    }
    #expect(queued.count > 12)
    let r = try s.shell(
      """
      deliver='cat >> delivered.jsonl; sleep 0.05'
      itsm-escalate notify -q --exec "$deliver" --now 2026-11-02T09:20:00Z > a.jsonl & a=$!
      itsm-escalate notify -q --exec "$deliver" --now 2026-11-02T09:20:00Z > b.jsonl & b=$!
      wait $a || exit 8; wait $b || exit 9
      """)
    #expect(r.status == 0, "\(r.stderr)")
    let delivered = try String(contentsOfFile: s.path("delivered.jsonl"), encoding: .utf8).split(separator: "\n")
      .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
      .compactMap { $0["id"] as? String }
    #expect(delivered.count == queued.count)
    #expect(Set(delivered) == Set(queued))
    let a = try String(contentsOfFile: s.path("a.jsonl"), encoding: .utf8).split(separator: "\n").count
    let b = try String(contentsOfFile: s.path("b.jsonl"), encoding: .utf8).split(separator: "\n").count
    #expect(a + b == queued.count)
  }

  @Test func aFailingCommandLeavesNotificationsPendingForARetryWithBackoff() throws {
    let s = try Sandbox()
    _ = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P3"])
    _ = try s.escalate(["tick", "-q", "--now", "2026-11-02T09:01:00Z"])
    var r = try s.escalate(["notify", "--exec", "exit 1", "--now", "2026-11-02T09:01:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("1 notifications remain undelivered"))
    #expect(r.stderr.contains("exited with status 1"))
    // Not due again until the backoff has passed: nothing is tried, and it still waits.
    r = try s.escalate(["notify", "--exec", "cat > got.jsonl", "--now", "2026-11-02T09:01:10Z"])
    #expect(r.status == 1)
    #expect(!FileManager.default.fileExists(atPath: s.path("got.jsonl")))
    r = try s.escalate(["notify", "--exec", "cat > got.jsonl", "--now", "2026-11-02T09:01:30Z"])
    #expect(r.status == 0, "\(r.stderr)")
    #expect(r.records.first?["attempts"] as? Int == 2)
  }

  @Test func webhooksAreRetriedWhenTheServerFailsOrHangs() throws {
    let s = try Sandbox()
    _ = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P3"])
    _ = try s.escalate(["tick", "-q", "--now", "2026-11-02T09:01:00Z"])
    let failing = try TestHTTPServer(mode: .status(500))
    var r = try s.escalate(["notify", "--webhook", failing.url, "--now", "2026-11-02T09:01:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("answered HTTP 500"))
    let hanging = try TestHTTPServer(mode: .hang)
    r = try s.escalate(["notify", "--webhook", hanging.url, "--timeout", "1s", "--now", "2026-11-02T09:05:00Z"])
    #expect(r.status == 1)
    #expect(r.stderr.contains("1 notifications remain undelivered"))
    let working = try TestHTTPServer(mode: .status(200))
    r = try s.escalate(["notify", "--webhook", working.url, "--now", "2026-11-02T10:00:00Z"])
    #expect(r.status == 0, "\(r.stderr)")
    let body = working.bodies.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    #expect((body?["text"] as? String)?.contains("Level 1 paged") == true)
    #expect(body?["incident"] as? String == "INC-1")
    #expect(working.bodies.count == 1)
    #expect(failing.bodies.count == 1)
  }

  @Test func aWebhookThatIsNotHTTPIsAUsageError() throws {
    let s = try Sandbox()
    for url in ["ftp://example.com/hook", "example.com/hook", "file:///etc/passwd"] {
      let r = try s.escalate(["notify", "--webhook", url])
      #expect(r.status == 64)
      #expect(r.stderr.contains("'--webhook' needs an http:// or https:// URL"))
    }
  }

  @Test func watchTicksUntilSIGTERMAndStopsCleanly() throws {
    let s = try Sandbox()
    _ = try s.open("Mail down", at: "2026-11-02T09:00:00Z", extra: ["--priority", "P1"])
    let r = try s.shell(
      """
      itsm-escalate watch --every 1s --now 2026-11-02T09:01:00Z > watch.jsonl 2> watch.err &
      pid=$!
      ( sleep 30; kill -KILL $pid 2>/dev/null ) &
      for i in $(seq 1 100); do [ -s watch.jsonl ] && break; sleep 0.1; done
      sleep 1.5
      kill -TERM $pid
      wait $pid; echo "status=$?"
      """)
    #expect(r.stdout.contains("status=0"))
    let out = try String(contentsOfFile: s.path("watch.jsonl"), encoding: .utf8)
    // Several ticks at the same moment: each notification once.
    #expect(out.split(separator: "\n").count == 2)
    let err = try String(contentsOfFile: s.path("watch.err"), encoding: .utf8)
    #expect(err.contains("stopped"))
  }
}

/// A small HTTP server on 127.0.0.1 for webhook tests: answers every request with a status,
/// or accepts and never answers.
final class TestHTTPServer: @unchecked Sendable {
  enum Mode {
    case status(Int)
    case hang
  }

  private let socketFD: Int32
  let port: UInt16
  private let lock = NSLock()
  private var received: [String] = []
  private var held: [Int32] = []

  var url: String { "http://127.0.0.1:\(port)/hook" }
  var bodies: [String] { lock.withLock { received } }

  init(mode: Mode) throws {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0, listen(fd, 16) == 0 else { throw POSIXError(.EADDRINUSE) }
    withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &length) }
    }
    socketFD = fd
    port = UInt16(bigEndian: address.sin_port)
    let thread = Thread { [self] in serve(mode) }
    thread.start()
  }

  deinit {
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
    for fd in held { close(fd) }
  }

  private func serve(_ mode: Mode) {
    while true {
      let client = accept(socketFD, nil, nil)
      if client < 0 { return }
      var data = [UInt8]()
      var buffer = [UInt8](repeating: 0, count: 4096)
      // Read the headers, then as many body bytes as Content-Length says.
      while true {
        let n = read(client, &buffer, buffer.count)
        if n <= 0 { break }
        data += buffer[0..<n]
        let text = String(decoding: data, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { continue }
        let headers = text[..<split.lowerBound].lowercased()
        let length =
          headers.split(separator: "\r\n").first { $0.hasPrefix("content-length:") }
          .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        let body = text[split.upperBound...]
        if body.utf8.count >= length {
          lock.withLock { received.append(String(body)) }
          break
        }
      }
      switch mode {
      case .hang:
        lock.withLock { held.append(client) }
      case .status(let code):
        let response = "HTTP/1.1 \(code) X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        _ = response.withCString { write(client, $0, strlen($0)) }
        close(client)
      }
    }
  }
}
