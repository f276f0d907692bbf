import Foundation
import Testing

@testable import ITSMCore

@Suite("escalation policy, calendars and the engine")
struct EscalationTests {
  func at(_ text: String) -> Timestamp { TimestampParser.parseAbsolute(text)! }

  func calendar(_ zone: String, days: Set<Int>, _ start: Int, _ end: Int, holidays: Set<String> = [])
    -> BusinessCalendar
  {
    BusinessCalendar(
      name: "c", timeZone: TimeZone(identifier: zone)!, days: days, startMinute: start, endMinute: end,
      holidays: holidays)
  }

  @Test func businessHoursFollowTheLocalClockAcrossTheDaylightSavingChange() {
    // Berlin leaves summer time on 2026-10-25 at 01:00 UTC: 08:00 local is 06:00 UTC the day
    // before and 07:00 UTC that day.
    let emea = calendar("Europe/Berlin", days: Set(1...7), 8 * 60, 18 * 60)
    #expect(emea.contains(at("2026-10-24T06:30:00Z")))
    #expect(!emea.contains(at("2026-10-25T06:30:00Z")))
    #expect(emea.contains(at("2026-10-25T07:00:00Z")))
    #expect(emea.contains(at("2026-10-25T16:59:00Z")))
    #expect(!emea.contains(at("2026-10-25T17:00:00Z")))
    // New York leaves summer time on 2026-11-01 at 06:00 UTC.
    let amer = calendar("America/New_York", days: Set(1...7), 9 * 60, 17 * 60)
    #expect(amer.contains(at("2026-10-31T13:30:00Z")))
    #expect(!amer.contains(at("2026-11-01T13:30:00Z")))
    #expect(amer.contains(at("2026-11-01T14:00:00Z")))
  }

  @Test func hoursAcrossMidnightBelongToTheDayTheyStart() {
    // The night shift 18:00-08:00 on weekdays: Friday night runs into Saturday morning, and
    // Sunday night does not start.
    let night = calendar("UTC", days: Set(1...5), 18 * 60, 8 * 60, holidays: ["2026-12-24"])
    #expect(night.contains(at("2026-11-06T19:00:00Z")))  // Friday evening
    #expect(night.contains(at("2026-11-07T07:59:00Z")))  // Saturday morning, Friday's shift
    #expect(!night.contains(at("2026-11-07T19:00:00Z")))  // Saturday evening
    #expect(!night.contains(at("2026-11-09T07:00:00Z")))  // Monday morning, Sunday's shift
    #expect(night.contains(at("2026-11-09T18:00:00Z")))  // Monday evening
    #expect(!night.contains(at("2026-11-09T12:00:00Z")))  // Monday noon
    #expect(!night.contains(at("2026-12-24T20:00:00Z")))  // a holiday's shift does not start
    #expect(!night.contains(at("2026-12-25T06:00:00Z")))
  }

  @Test func policyRoundTripsThroughShow() throws {
    let text = """
      version: 1
      escalation:
        calendars:
          emea: {timezone: Europe/Berlin, days: [mon-fri], hours: "08:00-18:00", holidays: [2026-12-25]}
          night: {timezone: UTC, days: [fri-mon], hours: "18:00-08:00"}
        policies:
          emea:
            ack_timeout: 20m
            levels:
              - {targets: [schedule:emea-primary, channel:ops], delay: 5m}
              - {targets: [person:lead], delay: 1h30m, repeat: 2, until: resolved}
        routes:
          - {priority: [P1, P2], calendar: emea, region: emea, tier: vital, policy: emea}
          - {policy: emea}
        war_room: {channel: "#war-{id}"}
      sla:
        warning_at: 80%
        pause_on_hold: false
        targets:
          P1: {response: 10m, resolution: 1h}
      """
    let policy = try PolicyLoader.parse(text, source: "p.yaml")
    let e = policy.escalation
    #expect(e.calendars.first { $0.name == "night" }?.days == [5, 6, 7, 1])
    #expect(e.policies[0].levels[1].delay.seconds == 5400)
    #expect(e.policies[0].levels[1].until == .resolved)
    #expect(e.sla.warningRatio == 0.8)
    #expect(e.sla.targets[.p1]?.response.seconds == 600)
    #expect(e.sla.targets[.p3] == SLARules.defaults.targets[.p3])
    let shown = try PolicyWriter.yaml(policy)
    let again = try PolicyLoader.parse(shown, source: "shown.yaml")
    #expect(again.escalation == policy.escalation)
    #expect(try PolicyWriter.yaml(again) == shown)
    #expect(try e.pinned().version == (try again.escalation.pinned().version))
    #expect(try EscalationRules.unpinned(version: "v", text: try e.pinned().text) == e)
  }

  @Test(arguments: [
    (
      "escalation:\n  policies:\n    a:\n      levels:\n        - {targets: [pager:ana], delay: 5m}\n",
      "p.yaml:5: escalation.policies.a.levels[0].targets[0]: unknown target kind 'pager'"
    ),
    (
      "escalation:\n  policies:\n    a:\n      levels:\n        - {targets: [person:ana], delay: -5m}\n",
      "escalation.policies.a.levels[0].delay: '-5m': a duration cannot be negative"
    ),
    (
      "escalation:\n  policies:\n    a:\n      levels:\n        - {targets: [person:ana], delay: soon}\n",
      "escalation.policies.a.levels[0].delay: invalid duration 'soon'"
    ),
    (
      "escalation:\n  calendars:\n    c: {timezone: Mars/Olympus, hours: \"08:00-18:00\"}\n",
      "escalation.calendars.c.timezone: unknown time zone 'Mars/Olympus'"
    ),
    (
      "escalation:\n  routes:\n    - {priority: P1, policy: nowhere}\n",
      "escalation.routes[0]: route names policy 'nowhere', which does not exist"
    ),
    (
      "escalation:\n  calendars:\n    c: {timezone: UTC, hours: \"08:00-08:00\"}\n",
      "escalation.calendars.c.hours: '08:00-08:00' starts and ends at the same time"
    ),
    ("sla:\n  targets:\n    P9: {response: 1m, resolution: 2m}\n", "sla.targets.P9: unknown priority 'P9'"),
  ])
  func badEscalationPolicies(text: String, expected: String) {
    #expect {
      _ = try PolicyLoader.parse(text, source: "p.yaml")
    } throws: { error in
      guard let error = error as? ITSMError, error.exitCode == 78 else { return false }
      return error.messages.joined().contains(expected)
    }
  }

  func subject(priority: Priority = .p1, opened: String = "2026-11-02T09:00:00Z") -> EscalationSubject {
    var incident = Incident(
      id: "INC-1", title: "Mail down", service: "mail", priority: priority, prioritySource: .manual,
      openedAt: at(opened))
    incident.rowID = 1
    return EscalationSubject(incident)
  }

  /// Runs the engine minute by minute and returns "HH:MM type detail" lines.
  func replay(_ subject: EscalationSubject, from: String, minutes: Int, change: (Int, inout EscalationSubject) -> Void)
    -> [String]
  {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: subject.updatedAt)
    var s = subject
    var log: [String] = []
    for minute in 0...minutes {
      let now = at(from) + .minutes(Int64(minute))
      change(minute, &s)
      let outcome = engine.evaluate(s, state, now: now)
      state = outcome.state
      let clock = String(now.rfc3339.dropFirst(11).prefix(5))
      for event in outcome.events {
        var detail = ""
        if case .int(let level)? = event.data["level"] { detail = "L\(level)" }
        if case .string(let c)? = event.data["clock"] { detail = c }
        log.append("\(clock) \(event.type) \(detail)")
      }
    }
    return log
  }

  @Test func defaultsEscalateAP1UnacknowledgedAt5And15Minutes() {
    let log = replay(subject(), from: "2026-11-02T09:00:00Z", minutes: 50) { _, _ in }
    #expect(
      log == [
        "09:00 paged L1", "09:00 war_room_opened ", "09:05 escalated L2", "09:12 sla_warning response",
        "09:15 escalated L3", "09:15 sla_breach response", "09:30 escalated L3", "09:45 escalated L3",
      ])
  }

  @Test func anAcknowledgementStopsTheEscalationAndMeetsTheResponseClock() {
    let log = replay(subject(priority: .p2), from: "2026-11-02T09:00:00Z", minutes: 80) { minute, s in
      if minute == 20 {
        s.status = .acknowledged
        s.acknowledgedAt = self.at("2026-11-02T09:20:00Z")
        s.updatedAt = s.acknowledgedAt!
      }
    }
    // P2: level 2 at 15 min; acknowledged at 20 (response target 30): met; re-notified an
    // hour after the acknowledgement.
    #expect(log == ["09:00 paged L1", "09:15 escalated L2", "09:20 sla_met response", "10:20 renotified "])
  }

  @Test func holdPausesTheResolutionClock() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    var s = subject()
    s.status = .onHold
    s.acknowledgedAt = at("2026-11-02T09:01:00Z")
    s.updatedAt = at("2026-11-02T09:30:00Z")
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: s.updatedAt)
    state.response = .met
    state.heldSince = at("2026-11-02T09:30:00Z")
    // On hold since 09:30: at 10:40 (100 min after opening) the 90 min target is not breached,
    // nothing is due, and only 30 minutes have run.
    let held = engine.evaluate(s, state, now: at("2026-11-02T10:40:00Z"))
    #expect(!held.events.contains { $0.type.hasPrefix("sla_") })
    #expect(held.state.nextDueAt == nil)
    #expect(engine.elapsed(.resolution, s, state, at: at("2026-11-02T10:40:00Z")) == 1800)
    // Resumed at 10:40 after 70 minutes on hold: the warning moves from 10:07:30 to 11:17:30
    // and the breach from 10:30 to 11:40.
    s.status = .inProgress
    s.updatedAt = at("2026-11-02T10:40:00Z")
    state = held.state
    state.heldSince = nil
    state.heldSeconds = 4200
    let resumed = engine.evaluate(s, state, now: at("2026-11-02T10:40:00Z"))
    #expect(resumed.state.nextDueAt == at("2026-11-02T11:10:00Z"))  // the ack timeout comes first
    #expect(
      engine.deadline(.resolution, s, resumed.state, seconds: 5400, now: at("2026-11-02T10:40:00Z"))
        == at("2026-11-02T11:40:00Z"))
    let breach = engine.evaluate(s, resumed.state, now: at("2026-11-02T11:40:00Z"))
    #expect(breach.events.map(\.type).filter { $0.hasPrefix("sla_") } == ["sla_warning", "sla_breach"])
  }

  @Test func levelsThatWaitForResolutionRestartAfterAHoldInsteadOfFiringAtOnce() throws {
    var rules = EscalationRules.defaults
    rules.policies = [
      EscalationPolicy(
        name: "r",
        levels: [
          EscalationLevel(targets: [EscalationTarget(.person, "a")], delay: .minutes(30), until: .resolved),
          EscalationLevel(targets: [EscalationTarget(.person, "b")], delay: .minutes(30), repeats: 2, until: .resolved),
        ])
    ]
    rules.routes = [EscalationRoute(policy: "r")]
    rules.warRoom.priorities = []
    let engine = EscalationEngine(rules: rules, services: [:])
    var s = subject(priority: .p3)
    s.status = .acknowledged
    s.acknowledgedAt = at("2026-11-02T09:05:00Z")
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: s.updatedAt)
    var out = engine.evaluate(s, state, now: at("2026-11-02T09:10:00Z"))
    #expect(out.events.map(\.type) == ["paged", "sla_met"])
    // On hold from 09:20 to 13:00: nothing fires while it waits.
    s.status = .onHold
    s.updatedAt = at("2026-11-02T09:20:00Z")
    out = engine.evaluate(s, out.state, now: at("2026-11-02T09:21:00Z"))
    #expect(out.events.isEmpty)
    out = engine.evaluate(s, out.state, now: at("2026-11-02T12:00:00Z"))
    #expect(out.events.isEmpty)
    // Resumed at 13:00: level 2 comes 30 minutes later, not at once with its repeats.
    s.status = .inProgress
    s.updatedAt = at("2026-11-02T13:00:00Z")
    state = out.state
    out = engine.evaluate(s, state, now: at("2026-11-02T13:00:00Z"))
    #expect(out.events.filter { $0.type == "escalated" }.isEmpty)
    #expect(out.state.nextDueAt == at("2026-11-02T13:30:00Z"))
    out = engine.evaluate(s, out.state, now: at("2026-11-02T13:30:00Z"))
    #expect(out.events.filter { $0.type == "escalated" }.count == 1)
  }

  @Test func aClockThatStoppedIsRecordedButNobodyIsPagedForIt() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    var s = subject()
    // Acknowledged at 09:11:30, after the 75 % mark (09:11:15), before any tick saw it.
    s.status = .acknowledged
    s.acknowledgedAt = at("2026-11-02T09:11:30Z")
    s.updatedAt = s.acknowledgedAt!
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: s.updatedAt)
    state.level = 1
    state.levelAt = s.openedAt
    state.warRoom = true
    let out = engine.evaluate(s, state, now: at("2026-11-02T09:12:00Z"))
    #expect(out.events.map(\.type).contains("sla_warning"))
    #expect(!out.notifications.contains { $0.reason.hasPrefix("sla_") })
  }

  @Test func reNotificationCountsFromTheAcknowledgementNotFromEveryAlert() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    var s = subject(priority: .p2)
    s.status = .acknowledged
    s.acknowledgedAt = at("2026-11-02T09:05:00Z")
    // A de-duplicated alert bumped the incident at 09:50: P2's ack timeout (60 min) still
    // counts from 09:05.
    s.updatedAt = at("2026-11-02T09:50:00Z")
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: s.updatedAt)
    state.level = 1
    state.levelAt = s.openedAt
    state.response = .met
    let out = engine.evaluate(s, state, now: at("2026-11-02T10:05:00Z"))
    #expect(out.events.map(\.type) == ["renotified"])
    #expect(out.state.renotifiedAt == at("2026-11-02T10:05:00Z"))
  }

  @Test func aLongOverdueReNotificationIsSentOnceNotOncePerMissedTurn() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    var s = subject(priority: .p1)
    s.status = .inProgress
    s.acknowledgedAt = at("2026-11-01T09:05:00Z")  // a day before: imported, or cron was down
    s.updatedAt = s.acknowledgedAt!
    var state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: s.updatedAt)
    state.level = 1
    state.levelAt = s.openedAt
    state.warRoom = true
    state.response = .met
    state.resolution = .missed
    let first = engine.evaluate(s, state, now: at("2026-11-02T12:00:00Z"))
    #expect(first.events.map(\.type) == ["renotified"])
    #expect(first.state.nextDueAt == at("2026-11-02T12:30:00Z"))
    let next = engine.evaluate(s, first.state, now: at("2026-11-02T12:01:00Z"))
    #expect(next.events.isEmpty)
  }

  @Test func nothingIsDueBeforeTheIncidentOpens() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    let state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: subject().updatedAt)
    let out = engine.evaluate(subject(), state, now: at("2026-11-02T08:59:00Z"))
    #expect(out.events.isEmpty && out.notifications.isEmpty)
    #expect(out.state.nextDueAt == at("2026-11-02T09:00:00Z"))
  }

  @Test func aLateTickDoesWhatThePunctualOnesWouldHaveDoneAtOnce() {
    let engine = EscalationEngine(rules: .defaults, services: [:])
    let state = EscalationState(versionNum: 1, version: "v", seenUpdatedAt: subject().updatedAt)
    let outcome = engine.evaluate(subject(), state, now: at("2026-11-02T09:20:00Z"))
    let types = outcome.events.map(\.type)
    #expect(types == ["paged", "escalated", "escalated", "war_room_opened", "sla_warning", "sla_breach"])
    // The warning is recorded but only the breach is sent.
    #expect(!outcome.notifications.contains { $0.reason == "sla_warning" })
    #expect(outcome.notifications.contains { $0.reason == "sla_breach" })
    let again = engine.evaluate(subject(), outcome.state, now: at("2026-11-02T09:20:00Z"))
    #expect(again.events.isEmpty && again.notifications.isEmpty)
    #expect(outcome.state.nextDueAt == at("2026-11-02T09:30:00Z"))
  }
}
