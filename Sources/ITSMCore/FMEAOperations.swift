import Foundation
import GRDB

/// The changes commands make to the register, each in the caller's transaction with its events.
extension FMEAStore {
  /// Registers a new mode: a `created` event and its first evaluation.
  public func register(_ mode: inout FailureMode, reason: String, context: ChangeContext) throws {
    let events = [
      EventDraft(type: "created", at: mode.createdAt, data: mode.content),
      EventDraft(
        type: "scored", at: mode.createdAt,
        data: FMEAEvaluation(scores: mode.scores, previous: nil, reason: reason).eventData),
    ]
    try insert(&mode, events: events, context: context)
  }

  /// Records a new evaluation of a mode: a review may confirm the scores as well as change them.
  @discardableResult
  public func rescore(
    _ mode: FailureMode, to scores: FMEAScores, reason: String, basis: JSONObject? = nil, now: Timestamp,
    context: ChangeContext
  ) throws -> FailureMode {
    var next = mode
    next.scores = scores
    next.updatedAt = now
    let evaluation = FMEAEvaluation(scores: scores, previous: mode.scores, reason: reason, basis: basis)
    try update(next, events: [EventDraft(type: "scored", at: now, data: evaluation.eventData)], context: context)
    return next
  }

  /// Adds a recommended action; an open mode becomes `mitigating`.
  public func addAction(
    to mode: FailureMode, text: String, owner: String?, due: Timestamp?, now: Timestamp, context: ChangeContext
  ) throws -> (FailureMode, RecommendedAction) {
    var next = mode
    let action = RecommendedAction(
      number: (mode.actions.map(\.number).max() ?? 0) + 1, text: text, owner: owner, due: due)
    next.actions.append(action)
    next.updatedAt = now
    var events = [EventDraft(type: "action_added", at: now, data: action.object)]
    if mode.status == .open {
      next.status = .mitigating
      events.append(
        EventDraft(type: "status_changed", at: now, data: FMEAStore.statusChange(from: .open, to: .mitigating)))
    }
    try update(next, events: events, context: context)
    return (next, action)
  }

  /// Marks an action done; one already done is left as it is (nil).
  public func completeAction(_ number: Int, of mode: FailureMode, now: Timestamp, context: ChangeContext) throws
    -> RecommendedAction?
  {
    guard let at = mode.actions.firstIndex(where: { $0.number == number }) else {
      let known = mode.actions.map { String($0.number) }.joined(separator: ", ")
      throw ITSMError.operationFailed(
        "\(mode.id) has no action \(number)" + (known.isEmpty ? " (it has none)" : " (actions: \(known))"))
    }
    guard mode.actions[at].doneAt == nil else { return nil }
    var next = mode
    next.actions[at].doneAt = now
    next.updatedAt = now
    try update(
      next, events: [EventDraft(type: "action_done", at: now, data: next.actions[at].object)], context: context)
    return next.actions[at]
  }

  /// Sets the status (accepting a risk, closing a mode), with the reason on the timeline.
  public func setStatus(
    _ mode: FailureMode, to status: FailureModeStatus, reason: String, now: Timestamp, context: ChangeContext
  )
    throws -> FailureMode?
  {
    guard mode.status != status else { return nil }
    var next = mode
    next.status = status
    next.updatedAt = now
    var data = FMEAStore.statusChange(from: mode.status, to: status)
    data.add("reason", .string(reason))
    try update(next, events: [EventDraft(type: "status_changed", at: now, data: data)], context: context)
    return next
  }

  static func statusChange(from: FailureModeStatus, to: FailureModeStatus) -> JSONObject {
    JSONObject([JSONField("before", .string(from.rawValue)), JSONField("after", .string(to.rawValue))])
  }
}

/// What one `itsm-fmea alert` run found.
public struct FMEAAlertRun: Sendable {
  /// Alerts raised or cleared by this run (or, asked with other thresholds, every mode over
  /// them), as `fmea.alert` records.
  public var records: [JSONObject] = []
  /// Modes over the thresholds now, whether raised by this run or before.
  public var over = 0
  public var queued: [NotificationDraft] = []

  public init() {}
}

extension FMEAStore {
  /// Raises an alert for each active mode over the policy's thresholds that has none, and
  /// clears the alert of each mode back under them (or accepted, or closed). Each change is an
  /// event on the mode and a notification in the outbox, whose id names the crossing: a second
  /// run changes nothing.
  public func alert(rules: FMEARules, policy: Policy, now: Timestamp, context: ChangeContext) throws -> FMEAAlertRun {
    var run = FMEAAlertRun()
    for mode in try all() {
      let reasons = mode.status.isActive ? rules.alertReasons(mode.scores) : []
      if !reasons.isEmpty { run.over += 1 }
      let raise = !reasons.isEmpty && !mode.alerting
      guard raise || (reasons.isEmpty && mode.alerting) else { continue }
      var next = mode
      next.alerting = raise
      if raise { next.alertsRaised += 1 }
      let state = raise ? "raised" : "cleared"
      let message =
        raise
        ? "FMEA risk \(mode.id) (\(mode.service)/\(mode.component): \(mode.failureMode)) is over the line: "
          + reasons.joined(separator: ", ")
        : "FMEA risk \(mode.id) (\(mode.service)/\(mode.component)) is back under the line: RPN \(mode.scores.rpn), AP \(mode.scores.actionPriority.rawValue)"
      let notification = NotificationDraft(
        key: "fmea|\(mode.id)|\(next.alertsRaised)|\(state)", source: "fmea", entity: FMEAStore.entity,
        entityID: mode.id, entityNum: mode.rowID, priority: nil, target: FMEAStore.alertTarget(mode, policy: policy),
        reason: raise ? "fmea_alert" : "fmea_alert_cleared", level: nil, message: message, createdAt: now)
      var data = FMEAStore.alertData(mode, state: state, reasons: reasons, rules: rules)
      data.add("notification", .string(notification.id))
      run.queued += try Outbox(db).enqueue([notification], now: now)
      try update(next, events: [EventDraft(type: "alert_\(state)", at: now, data: data)], context: context)
      run.records.append(FMEAStore.alertRecord(mode, data: data, now: now))
    }
    return run
  }

  /// The modes over other thresholds than the policy's, as records of state `over`: a
  /// question that changes nothing, so that the alert state keeps following the policy.
  public func over(rules: FMEARules, now: Timestamp) throws -> FMEAAlertRun {
    var run = FMEAAlertRun()
    for mode in try all() where mode.status.isActive {
      let reasons = rules.alertReasons(mode.scores)
      guard !reasons.isEmpty else { continue }
      run.over += 1
      run.records.append(
        FMEAStore.alertRecord(
          mode, data: FMEAStore.alertData(mode, state: "over", reasons: reasons, rules: rules), now: now))
    }
    return run
  }

  static func alertData(_ mode: FailureMode, state: String, reasons: [String], rules: FMEARules) -> JSONObject {
    var o = JSONObject([JSONField("state", .string(state))])
    o.add("service", .string(mode.service))
    o.add("component", .string(mode.component))
    o.add("failure_mode", .string(mode.failureMode))
    o.fields.append(contentsOf: mode.scores.fields)
    o.add("status", .string(mode.status.rawValue))
    o.add("reasons", .array(reasons.map { .string($0) }))
    o.add("thresholds", .object(rules.thresholds))
    return o
  }

  /// The record of kind `fmea.alert`: the event's data with the mode's id and the time.
  static func alertRecord(_ mode: FailureMode, data: JSONObject, now: Timestamp) -> JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.alert")), JSONField("id", .string(mode.id))])
    o.fields.append(contentsOf: data.fields)
    o.add("at", .string(now.rfc3339))
    return o
  }

  /// Who hears of a mode's alert: its owner (a `kind:name` target, or a person), else the
  /// owner team of its service, else the policy's `fmea.alert.notify`.
  static func alertTarget(_ mode: FailureMode, policy: Policy) -> EscalationTarget {
    if let owner = mode.owner {
      if case .success(let target) = EscalationTarget.parse(owner) { return target }
      return EscalationTarget(.person, owner)
    }
    if let team = policy.services[mode.service]?.owner { return EscalationTarget(.team, team) }
    return policy.fmea.alertTarget
  }
}
