import Foundation

/// What the escalation engine needs to know of an incident.
public struct EscalationSubject: Sendable {
  public var num: Int64
  public var id: String
  public var title: String
  public var service: String
  public var status: IncidentStatus
  public var priority: Priority
  public var team: String?
  public var assignee: String?
  public var region: String?
  public var openedAt: Timestamp
  public var acknowledgedAt: Timestamp?
  public var firstResolvedAt: Timestamp?
  public var updatedAt: Timestamp

  public init(_ incident: Incident) {
    num = incident.rowID ?? 0
    id = incident.id
    title = incident.title
    service = incident.service
    status = incident.status
    priority = incident.priority
    team = incident.team
    assignee = incident.assignee
    region = incident.region
    openedAt = incident.openedAt
    acknowledgedAt = incident.acknowledgedAt
    firstResolvedAt = incident.firstResolvedAt
    updatedAt = incident.updatedAt
  }

  init(
    num: Int64, id: String, title: String, service: String, status: IncidentStatus, priority: Priority,
    openedAt: Timestamp, updatedAt: Timestamp
  ) {
    self.num = num
    self.id = id
    self.title = title
    self.service = service
    self.status = status
    self.priority = priority
    self.openedAt = openedAt
    self.updatedAt = updatedAt
  }
}

/// Where an SLA clock stands. A clock runs until it stops (met, or stopped after a breach) or
/// is canceled with its incident.
public enum ClockState: String, Sendable {
  case running, warned, breached, met, missed, canceled

  var isFinal: Bool { self == .met || self == .missed || self == .canceled }
}

/// The two SLA clocks.
public enum SLAClock: String, Sendable, CaseIterable {
  case response, resolution

  /// When the clock stops: response at the first acknowledgement (or the first resolution,
  /// when that came first), resolution at the first resolution.
  public func stop(acknowledgedAt: Timestamp?, firstResolvedAt: Timestamp?) -> Timestamp? {
    switch self {
    case .response:
      if let ack = acknowledgedAt, let resolved = firstResolvedAt { return min(ack, resolved) }
      return acknowledgedAt ?? firstResolvedAt
    case .resolution: return firstResolvedAt
    }
  }

  /// This clock's part of a target.
  public func goal(_ target: SLATarget) -> DurationValue { self == .response ? target.response : target.resolution }
}

extension SLARules {
  /// When a clock passes its target: opening + target, plus the time on hold for the
  /// resolution clock when holds pause it.
  public func breachAt(_ clock: SLAClock, openedAt: Timestamp, target: SLATarget, heldSeconds: Int64) -> Timestamp {
    let held = clock == .resolution && pauseOnHold ? heldSeconds : 0
    return openedAt + DurationValue(seconds: clock.goal(target).seconds + held)
  }

  /// Whether a resolution clock is paused now by a hold still going on.
  public func isPaused(_ clock: SLAClock, heldSince: Timestamp?) -> Bool {
    clock == .resolution && pauseOnHold && heldSince != nil
  }
}

/// The escalation bookkeeping kept for one incident, so that each step happens once.
public struct EscalationState: Equatable, Sendable {
  /// The pinned policy version (a row of `policy_versions`).
  public var versionNum: Int64
  public var version: String
  public var policyName: String?
  /// The level reached: 0 before the first page.
  public var level = 0
  /// When the current level was due: the next level's delay counts from here.
  public var levelAt: Timestamp?
  /// Repeats of the last level so far.
  public var repeats = 0
  public var renotified = 0
  public var renotifiedAt: Timestamp?
  public var warRoom = false
  /// Escalations past level 1 so far, by why: for the escalation rates of the reports.
  public var timeoutEscalations = 0
  public var manualEscalations = 0
  public var response = ClockState.running
  public var resolution = ClockState.running
  /// Time on hold before the resolution clock stopped, in closed spans, and the start of the
  /// span still open.
  public var heldSeconds: Int64 = 0
  public var heldSince: Timestamp?
  public var seenUpdatedAt: Timestamp
  /// When it was last evaluated: a change stamped at or after it is looked at again.
  public var seenAt = Timestamp(seconds: 0)
  /// The escalation stopped waiting (on hold, resolved, closed) and restarts its timer when
  /// the incident needs it again, at `resumedAt`.
  public var paused = false
  public var resumedAt: Timestamp?
  public var nextDueAt: Timestamp?
  public var active = true

  public init(versionNum: Int64, version: String, seenUpdatedAt: Timestamp) {
    self.versionNum = versionNum
    self.version = version
    self.seenUpdatedAt = seenUpdatedAt
  }

  func clock(_ clock: SLAClock) -> ClockState { clock == .response ? response : resolution }

  mutating func set(_ clock: SLAClock, _ value: ClockState) {
    if clock == .response { response = value } else { resolution = value }
  }
}

/// A notification about to enter the outbox. Its id is derived from what it is about, so the
/// same notification can never be queued twice.
public struct NotificationDraft: Equatable, Sendable {
  public var id: String
  public var source: String
  public var entity: String
  public var entityID: String
  public var entityNum: Int64?
  public var priority: Priority?
  public var target: EscalationTarget
  public var reason: String
  public var level: Int?
  public var message: String
  public var createdAt: Timestamp

  public init(
    key: String, source: String, entity: String, entityID: String, entityNum: Int64?, priority: Priority?,
    target: EscalationTarget, reason: String, level: Int?, message: String, createdAt: Timestamp
  ) {
    id = StableHash.id("N", key + "|" + target.description)
    self.source = source
    self.entity = entity
    self.entityID = entityID
    self.entityNum = entityNum
    self.priority = priority
    self.target = target
    self.reason = reason
    self.level = level
    self.message = message
    self.createdAt = createdAt
  }

  /// The record of kind `notification` that `tick` prints and `notify` delivers.
  public var record: JSONObject {
    var o = JSONObject()
    o.add("kind", .string("notification"))
    o.add("id", .string(id))
    if entity == "incident" {
      o.add("incident", .string(entityID))
    } else {
      o.add("entity", .string(entity))
      o.add("entity_id", .string(entityID))
    }
    o.add("priority", priority.map { .string($0.description) })
    o.add("to", .string(target.name))
    o.add("channel", .string(target.kind.rawValue))
    o.add("reason", .string(reason))
    o.add("level", level.map { .int(Int64($0)) })
    o.add("message", .string(message))
    o.add("created_at", .string(createdAt.rfc3339))
    o.add("source", .string(source))
    return o
  }
}

/// What one evaluation decided: events for the timeline, notifications for the outbox, and
/// the new state.
public struct EscalationOutcome: Sendable {
  public var events: [EventDraft] = []
  public var notifications: [NotificationDraft] = []
  public var state: EscalationState
}

/// Escalation and SLA clocks as pure functions: given an incident, its state and the time,
/// what is due. Each step is timed from the schedule (opened, the level's due time), never
/// from when a tick happened to run, so a late tick does what the punctual ones would have.
public struct EscalationEngine: Sendable {
  public let rules: EscalationRules
  public let services: [String: Service]
  public static let source = "itsm-escalate"

  public init(rules: EscalationRules, services: [String: Service]) {
    self.rules = rules
    self.services = services
  }

  public func policy(for subject: EscalationSubject) -> EscalationPolicy? {
    rules.route(
      priority: subject.priority, service: subject.service, tier: services[subject.service]?.tier,
      region: subject.region, at: subject.openedAt)
  }

  /// Everything due at `now`.
  public func evaluate(_ subject: EscalationSubject, _ state: EscalationState, now: Timestamp) -> EscalationOutcome {
    var out = EscalationOutcome(state: state)
    let policy = policy(for: subject)
    out.state.policyName = policy?.name
    out.state.seenUpdatedAt = subject.updatedAt
    out.state.seenAt = now
    var due: [Timestamp] = []
    let open = subject.status.isOpen
    if subject.openedAt > now {
      // Opened "later" than now (a replay, a clock a little ahead): nothing is due yet.
      out.state.nextDueAt = subject.openedAt
      return out
    }
    if policy != nil {
      let waiting = open && subject.status != .onHold
      if !waiting {
        out.state.paused = true
      } else if waiting && out.state.paused {
        // Back from a hold or a reopen: timers count again from the change that brought it back.
        out.state.paused = false
        out.state.resumedAt = subject.updatedAt
        if let levelAt = out.state.levelAt, levelAt < subject.updatedAt { out.state.levelAt = subject.updatedAt }
      }
    }
    if let policy, open {
      escalate(subject, policy, now: now, &out, &due)
      if rules.warRoom.priorities.contains(subject.priority), !out.state.warRoom {
        openWarRoom(subject, policy, now: now, &out)
      }
      renotify(subject, policy, now: now, &out, &due)
    }
    for clock in SLAClock.allCases { runClock(clock, subject, policy, now: now, &out, &due) }
    out.state.nextDueAt = due.min()
    out.state.active = open || !(out.state.response.isFinal && out.state.resolution.isFinal)
    return out
  }

  // MARK: Escalation levels

  private func conditionHolds(_ condition: EscalationLevel.Condition, _ subject: EscalationSubject) -> Bool {
    switch condition {
    case .acknowledged: return subject.status == .new
    case .resolved: return subject.status.isOpen && subject.status != .onHold
    }
  }

  private func escalate(
    _ subject: EscalationSubject, _ policy: EscalationPolicy, now: Timestamp, _ out: inout EscalationOutcome,
    _ due: inout [Timestamp]
  ) {
    if out.state.level == 0 {
      guard conditionHolds(policy.levels[0].until, subject) else { return }
      fire(level: 1, reason: "page", dueAt: subject.openedAt, subject, policy, now: now, &out)
      out.state.levelAt = subject.openedAt
    }
    // A bounded loop: at most every level and every repeat once.
    for _ in 0..<(policy.levels.count + policy.levels.last!.repeats + 1) {
      let level = min(out.state.level, policy.levels.count)
      let current = policy.levels[level - 1]
      guard conditionHolds(current.until, subject), let levelAt = out.state.levelAt else { return }
      if level < policy.levels.count {
        let when = levelAt + current.delay
        guard when <= now else {
          due.append(when)
          return
        }
        fire(level: level + 1, reason: "timeout", dueAt: when, subject, policy, now: now, &out)
        out.state.levelAt = when
        out.state.repeats = 0
      } else if out.state.repeats < current.repeats {
        let when = levelAt + DurationValue(seconds: current.delay.seconds * Int64(out.state.repeats + 1))
        guard when <= now else {
          due.append(when)
          return
        }
        out.state.repeats += 1
        fire(level: level, reason: "timeout", dueAt: when, subject, policy, now: now, &out)
      } else {
        return
      }
    }
  }

  private func fire(
    level: Int, reason: String, dueAt: Timestamp, _ subject: EscalationSubject, _ policy: EscalationPolicy,
    now: Timestamp, _ out: inout EscalationOutcome, note: String? = nil
  ) {
    let targets = policy.levels[level - 1].targets
    let repeatNumber = out.state.level == level && reason == "timeout" ? out.state.repeats : 0
    // The level whose condition went unmet: the one before, or this one when it repeats.
    let unmet = policy.levels[max(0, repeatNumber > 0 ? level - 1 : level - 2)].until
    out.state.level = level
    if reason == "timeout" { out.state.timeoutEscalations += 1 }
    if reason == "manual" { out.state.manualEscalations += 1 }
    var data = JSONObject()
    data.add("level", .int(Int64(level)))
    data.add("reason", .string(reason))
    if repeatNumber > 0 { data.add("repeat", .int(Int64(repeatNumber))) }
    data.add("targets", .array(targets.map { .string($0.description) }))
    data.add("policy", .string(policy.name))
    data.add("policy_version", .string(out.state.version))
    data.add("due_at", .string(dueAt.rfc3339))
    if let note { data.add("text", .string(note)) }
    out.events.append(EventDraft(type: level == 1 && reason == "page" ? "paged" : "escalated", at: now, data: data))
    let why: String
    switch reason {
    case "page": why = "Level 1 paged. Acknowledge with: itsm-incident ack \(subject.id)"
    case "manual": why = "Escalated by hand to level \(level)" + (note.map { ": \($0)" } ?? "")
    default:
      let condition = unmet.rawValue
      why =
        repeatNumber > 0
        ? "Level \(level) again (repeat \(repeatNumber)): still not \(condition)"
        : "Escalated to level \(level): not \(condition) in time"
    }
    let key = "\(subject.id)|escalation|L\(level)|r\(repeatNumber)|\(reason)|\(dueAt.seconds)"
    for target in targets {
      out.notifications.append(
        notification(key: key, subject, target, reason: reason, level: level, message: why, now: now))
    }
  }

  /// A manual escalation to `level` (1-based) of the incident's policy.
  public func escalateByHand(
    _ subject: EscalationSubject, _ state: EscalationState, to level: Int, reason: String, now: Timestamp
  ) throws -> EscalationOutcome {
    guard let policy = policy(for: subject) else {
      throw ITSMError.operationFailed("no escalation route matches \(subject.id), so it has no levels to escalate to")
    }
    guard (1...policy.levels.count).contains(level) else {
      throw ITSMError.operationFailed(
        "policy '\(policy.name)' has levels 1 to \(policy.levels.count); there is no level \(level)")
    }
    var out = EscalationOutcome(state: state)
    fire(level: level, reason: "manual", dueAt: now, subject, policy, now: now, &out, note: reason)
    out.state.levelAt = now
    out.state.repeats = 0
    // The next timeout counts from the manual step.
    let after = evaluate(subject, out.state, now: now)
    out.state = after.state
    out.events += after.events
    out.notifications += after.notifications
    return out
  }

  // MARK: War room and re-notification

  private func openWarRoom(
    _ subject: EscalationSubject, _ policy: EscalationPolicy, now: Timestamp, _ out: inout EscalationOutcome
  ) {
    out.state.warRoom = true
    let channel = rules.warRoom.channelName(for: subject.id)
    let paged = policy.levels[0].targets.map(\.description)
    let roles = rules.warRoom.roles.map { $0.replacingOccurrences(of: "_", with: " ") }
    var data = JSONObject()
    data.add("channel", .string(channel))
    data.add("roles", .array(rules.warRoom.roles.map { .string($0) }))
    data.add("paged", .array(paged.map { .string($0) }))
    out.events.append(EventDraft(type: "war_room_opened", at: now, data: data))
    let message =
      "War room \(channel) is open. Roles to fill: \(roles.joined(separator: ", ")). Paged: \(paged.joined(separator: ", "))."
    out.notifications.append(
      notification(
        key: "\(subject.id)|war_room", subject, EscalationTarget(.channel, channel), reason: "war_room", level: nil,
        message: message, now: now))
  }

  /// Who hears about an incident outside the escalation levels: its assignee, else its team,
  /// else the first level of its policy.
  private func owners(_ subject: EscalationSubject, _ policy: EscalationPolicy?) -> [EscalationTarget] {
    if let assignee = subject.assignee { return [EscalationTarget(.person, assignee)] }
    if let team = subject.team { return [EscalationTarget(.team, team)] }
    return policy?.levels.first?.targets ?? []
  }

  private func renotify(
    _ subject: EscalationSubject, _ policy: EscalationPolicy, now: Timestamp, _ out: inout EscalationOutcome,
    _ due: inout [Timestamp]
  ) {
    guard let timeout = policy.ackTimeout, subject.status == .acknowledged || subject.status == .inProgress,
      out.state.renotified < policy.renotifyLimit
    else { return }
    // Counted from the acknowledgement (not from later updates: an alert that keeps firing
    // bumps the incident but is no sign of progress), the last re-notification or the return
    // from a hold.
    var base = subject.acknowledgedAt ?? subject.updatedAt
    if let last = out.state.renotifiedAt { base = max(base, last) }
    if let resumed = out.state.resumedAt { base = max(base, resumed) }
    let when = base + timeout
    guard when <= now else {
      due.append(when)
      return
    }
    out.state.renotified += 1
    // On schedule, the next one counts from when this one was due; a tick more than a whole
    // timeout late (cron was down, history was imported) sends one, not one per missed turn.
    out.state.renotifiedAt = now.seconds - when.seconds >= timeout.seconds ? now : when
    var data = JSONObject()
    data.add("count", .int(Int64(out.state.renotified)))
    data.add("timeout_min", .double(Double(timeout.seconds) / 60))
    let targets = owners(subject, policy)
    data.add("targets", .array(targets.map { .string($0.description) }))
    out.events.append(EventDraft(type: "renotified", at: now, data: data))
    let message = "Acknowledged but not resolved within \(timeout); still \(subject.status.rawValue)."
    for target in targets {
      out.notifications.append(
        notification(
          key: "\(subject.id)|ack_timeout|\(out.state.renotified)", subject, target, reason: "ack_timeout",
          level: out.state.level, message: message, now: now))
    }
    if out.state.renotified < policy.renotifyLimit, let last = out.state.renotifiedAt { due.append(last + timeout) }
  }

  // MARK: SLA clocks

  /// Seconds the clock has run at `t`: time since opening, less time on hold when holds pause.
  public func elapsed(_ clock: SLAClock, _ subject: EscalationSubject, _ state: EscalationState, at t: Timestamp)
    -> Int64
  {
    let end = min(t, stop(clock, subject) ?? t)
    var run = end.seconds - subject.openedAt.seconds
    if clock == .resolution && rules.sla.pauseOnHold {
      run -= state.heldSeconds
      if let since = state.heldSince, since < end { run -= end.seconds - since.seconds }
    }
    return max(0, run)
  }

  /// When the clock stops: the first acknowledgement (or resolution) for response, the first
  /// resolution for resolution.
  public func stop(_ clock: SLAClock, _ subject: EscalationSubject) -> Timestamp? {
    clock.stop(acknowledgedAt: subject.acknowledgedAt, firstResolvedAt: subject.firstResolvedAt)
  }

  public func target(_ clock: SLAClock, _ priority: Priority) -> DurationValue? {
    rules.sla.targets[priority].map(clock.goal)
  }

  /// When the clock reaches `seconds` of running time, if it runs uninterrupted from now.
  public func deadline(
    _ clock: SLAClock, _ subject: EscalationSubject, _ state: EscalationState, seconds: Int64, now: Timestamp
  ) -> Timestamp? {
    if clock == .resolution && rules.sla.pauseOnHold && state.heldSince != nil { return nil }
    if stop(clock, subject) != nil { return nil }
    let run = elapsed(clock, subject, state, at: now)
    return now + DurationValue(seconds: seconds - run)
  }

  private func runClock(
    _ clock: SLAClock, _ subject: EscalationSubject, _ policy: EscalationPolicy?, now: Timestamp,
    _ out: inout EscalationOutcome, _ due: inout [Timestamp]
  ) {
    let state = out.state.clock(clock)
    guard !state.isFinal else { return }
    guard let target = target(clock, subject.priority) else { return }
    let stoppedAt = stop(clock, subject)
    if stoppedAt == nil && subject.status == .canceled {
      out.state.set(clock, .canceled)
      return
    }
    let run = elapsed(clock, subject, out.state, at: now)
    let warnAt = Int64((Double(target.seconds) * rules.sla.warningRatio).rounded(.up))
    func record(_ type: String, _ threshold: Int64?, notify: Bool = true) {
      var data = JSONObject()
      data.add("clock", .string(clock.rawValue))
      data.add("target_min", .double(Double(target.seconds) / 60))
      data.add("elapsed_min", .double(Double(run) / 60))
      if let threshold, let at = crossing(clock, subject, out.state, threshold: threshold, now: now) {
        data.add("due_at", .string(at.rfc3339))
      }
      out.events.append(EventDraft(type: type, at: now, data: data))
      guard notify else { return }
      let what = clock == .response ? "Response" : "Resolution"
      let used = "\(DurationValue(seconds: run)) of \(target) used"
      let message =
        type == "sla_warning"
        ? "\(what) SLA at \(Int(rules.sla.warningRatio * 100))%: \(used)."
        : "\(what) SLA breached: \(used)."
      for person in owners(subject, policy) {
        out.notifications.append(
          notification(
            key: "\(subject.id)|\(type)|\(clock.rawValue)", subject, person, reason: type, level: nil,
            message: message, now: now))
      }
    }
    var current = state
    // A clock already stopped (acknowledged, resolved) is recorded but nobody is paged for it.
    let running = stoppedAt == nil
    if current == .running && run >= warnAt {
      // A tick that comes late records the warning too, but pages only for the breach.
      record("sla_warning", warnAt, notify: running && run < target.seconds)
      current = .warned
    }
    if (current == .running || current == .warned) && run >= target.seconds {
      record("sla_breach", target.seconds, notify: running)
      current = .breached
    }
    if stoppedAt != nil {
      if current == .breached {
        current = .missed
      } else {
        record("sla_met", nil, notify: false)
        current = .met
      }
    } else if subject.status.isOpen {
      let next = current == .running ? warnAt : (current == .warned ? target.seconds : nil)
      if let next, let when = deadline(clock, subject, out.state, seconds: next, now: now) { due.append(when) }
    }
    out.state.set(clock, current)
  }

  /// When the running time crossed (or will cross) a threshold, for the record.
  private func crossing(
    _ clock: SLAClock, _ subject: EscalationSubject, _ state: EscalationState, threshold: Int64, now: Timestamp
  ) -> Timestamp? {
    if clock == .response || !rules.sla.pauseOnHold { return subject.openedAt + DurationValue(seconds: threshold) }
    // With holds, the crossing is known exactly only when no hold fell after it; report the
    // time implied by the hold total, which is exact for a single hold before the crossing.
    return subject.openedAt + DurationValue(seconds: threshold + state.heldSeconds)
  }

  private func notification(
    key: String, _ subject: EscalationSubject, _ target: EscalationTarget, reason: String, level: Int?,
    message: String, now: Timestamp
  ) -> NotificationDraft {
    NotificationDraft(
      key: key, source: EscalationEngine.source, entity: "incident", entityID: subject.id, entityNum: subject.num,
      priority: subject.priority, target: target, reason: reason, level: level,
      message: "\(subject.priority) \(subject.id) (\(subject.service)): \(subject.title). \(message)", createdAt: now)
  }
}

extension Timestamp {
  public static func + (lhs: Timestamp, rhs: DurationValue) -> Timestamp {
    Timestamp(seconds: lhs.seconds + rhs.seconds)
  }
}
