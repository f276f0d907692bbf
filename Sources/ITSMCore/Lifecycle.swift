import Foundation

/// An event about to be appended to the log; the store adds who, where from and the sequence.
public struct EventDraft: Equatable, Sendable {
  public var type: String
  public var at: Timestamp
  public var data: JSONObject

  public init(type: String, at: Timestamp, data: JSONObject = JSONObject()) {
    self.type = type
    self.at = at
    self.data = data
  }
}

/// A change a person or a tool asks for on one incident.
public enum IncidentAction: Sendable {
  case acknowledge
  case assign(assignee: String?, team: String?, tier: SupportTier?)
  case note(String)
  case hold(reason: String)
  case resume
  case resolve(rootCause: String?, resolution: String?)
  case close(rootCause: String?, resolution: String?)
  case reopen(reason: String)
  case cancel(reason: String)
  case update([FieldAssignment])

  var verb: String {
    switch self {
    case .acknowledge: return "acknowledge"
    case .assign: return "assign"
    case .note: return "add a note to"
    case .hold: return "put on hold"
    case .resume: return "resume"
    case .resolve: return "resolve"
    case .close: return "close"
    case .reopen: return "reopen"
    case .cancel: return "cancel"
    case .update: return "update"
    }
  }
}

/// The outcome of applying an action: the new incident and the events that record it, or a
/// reason why nothing changed (acknowledging twice is not an error, and adds no event).
public struct LifecycleOutcome: Sendable {
  public var incident: Incident
  public var events: [EventDraft]
  public var unchangedBecause: String?
}

/// The incident lifecycle of REFERENCE.md as pure functions over values:
/// new -> acknowledged -> in_progress <-> on_hold -> resolved -> closed; canceled from any
/// open state; reopen from resolved or closed back to in_progress.
public enum IncidentLifecycle {
  public static func apply(
    _ action: IncidentAction, to incident: Incident, at now: Timestamp, policy: Policy
  ) throws -> LifecycleOutcome {
    if now < incident.updatedAt {
      throw ITSMError.operationFailed(
        "cannot \(action.verb) \(incident.id) at \(now): its last change was later, at \(incident.updatedAt)")
    }
    var next = incident
    var type: String
    var data = JSONObject()
    switch action {
    case .acknowledge:
      switch incident.status {
      case .new:
        next.status = .acknowledged
        next.acknowledgedAt = incident.acknowledgedAt ?? now
        type = "acknowledged"
      case .acknowledged, .inProgress, .onHold:
        guard let when = incident.acknowledgedAt else {
          // Imported work in progress that never recorded its acknowledgement: record it now.
          next.acknowledgedAt = now
          type = "acknowledged"
          break
        }
        return LifecycleOutcome(
          incident: incident, events: [],
          unchangedBecause: "\(incident.id) was already acknowledged at \(when); nothing changed")
      default:
        throw refused(action, incident)
      }
    case .assign(let assignee, let team, let tier):
      try requireOpen(action, incident)
      if let assignee { next.assignee = assignee }
      if let team { next.team = team }
      if let tier { next.tier = tier }
      let reassigned =
        (incident.assignee != nil && next.assignee != incident.assignee)
        || (incident.team != nil && next.team != incident.team)
      if reassigned { next.reassignmentCount += 1 }
      if incident.status == .acknowledged { next.status = .inProgress }
      if next == incident {
        return LifecycleOutcome(
          incident: incident, events: [], unchangedBecause: "\(incident.id) is already assigned so; nothing changed")
      }
      type = "assigned"
    case .note(let text):
      guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
        throw ITSMError.usage("a note needs some text")
      }
      data.add("text", .string(text))
      type = "note"
    case .hold(let reason):
      guard incident.status == .acknowledged || incident.status == .inProgress else {
        if incident.status == .new {
          throw ITSMError.operationFailed("cannot put \(incident.id) on hold: it is new; acknowledge it first")
        }
        throw refused(action, incident)
      }
      next.status = .onHold
      data.add("reason", .string(reason))
      type = "on_hold"
    case .resume:
      guard incident.status == .onHold else { throw refused(action, incident) }
      next.status = .inProgress
      type = "resumed"
    case .resolve(let rootCause, let resolution):
      try requireOpen(action, incident)
      next.status = .resolved
      next.resolvedAt = now
      next.firstResolvedAt = incident.firstResolvedAt ?? now
      if let rootCause { next.rootCause = rootCause }
      if let resolution { next.resolution = resolution }
      type = "resolved"
    case .close(let rootCause, let resolution):
      guard incident.status == .resolved else { throw refused(action, incident) }
      if let rootCause { next.rootCause = rootCause }
      if let resolution { next.resolution = resolution }
      try checkClosure(next, policy: policy)
      next.status = .closed
      next.closedAt = now
      type = "closed"
    case .reopen(let reason):
      guard incident.status == .resolved || incident.status == .closed else { throw refused(action, incident) }
      next.status = .inProgress
      next.reopenCount += 1
      next.resolvedAt = nil
      next.closedAt = nil
      data.add("reason", .string(reason))
      type = "reopened"
    case .cancel(let reason):
      try requireOpen(action, incident)
      next.status = .canceled
      next.canceledAt = now
      data.add("reason", .string(reason))
      type = "canceled"
    case .update(let assignments):
      return try update(incident, assignments, at: now, policy: policy)
    }
    next.updatedAt = now
    let changes = Incident.changes(from: incident, to: next, policy: policy)
    if !changes.isEmpty { data.add("changes", .object(changes)) }
    return LifecycleOutcome(incident: next, events: [EventDraft(type: type, at: now, data: data)])
  }

  static func update(
    _ incident: Incident, _ assignments: [FieldAssignment], at now: Timestamp, policy: Policy
  ) throws -> LifecycleOutcome {
    var next = incident
    for assignment in assignments {
      try assignment.apply(to: &next, matrix: policy.priorityMatrix)
    }
    if (next.impact == nil) != (next.urgency == nil) {
      throw ITSMError.usage("impact and urgency go together: set both, or clear both")
    }
    if next.matrixPriority == nil && next.prioritySource == .matrix { next.prioritySource = .manual }
    var events: [EventDraft] = []
    var changes = Incident.changes(from: incident, to: next, policy: policy)
    if changes.isEmpty {
      return LifecycleOutcome(
        incident: incident, events: [], unchangedBecause: "\(incident.id) already has those values; nothing changed")
    }
    next.updatedAt = now
    let priorityKeys = ["priority", "priority_source"]
    if priorityKeys.contains(where: { changes[$0] != nil }) {
      var data = JSONObject()
      data.add("changes", .object(JSONObject(changes.fields.filter { priorityKeys.contains($0.key) })))
      events.append(EventDraft(type: "priority_changed", at: now, data: data))
      changes.fields.removeAll { priorityKeys.contains($0.key) }
    }
    if !changes.isEmpty {
      events.append(EventDraft(type: "updated", at: now, data: JSONObject([JSONField("changes", .object(changes))])))
    }
    return LifecycleOutcome(incident: next, events: events)
  }

  /// Checks the policy's closure rule and says exactly what is missing.
  public static func checkClosure(_ incident: Incident, policy: Policy) throws {
    var missing: [String] = []
    if policy.closure.requireRootCause && isBlank(incident.rootCause) { missing.append("a root cause (--root-cause)") }
    if policy.closure.requireResolution && isBlank(incident.resolution) {
      missing.append("resolution notes (--resolution)")
    }
    if !missing.isEmpty {
      throw ITSMError.operationFailed(
        "cannot close \(incident.id): missing \(missing.joined(separator: " and ")), which the policy requires (incidents.closure)"
      )
    }
  }

  private static func isBlank(_ text: String?) -> Bool {
    (text ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
  }

  private static func requireOpen(_ action: IncidentAction, _ incident: Incident) throws {
    guard incident.status.isOpen else { throw refused(action, incident) }
  }

  private static func refused(_ action: IncidentAction, _ incident: Incident) -> ITSMError {
    .operationFailed(
      "cannot \(action.verb) \(incident.id): it is \(incident.status.rawValue.replacingOccurrences(of: "_", with: " "))"
    )
  }
}

/// One `--set field=value` of `itsm-incident update`.
public struct FieldAssignment: Sendable, Equatable {
  public var field: String
  public var value: String

  /// The fields `update` may set; status and lifecycle times change only through the lifecycle.
  public static let settable = [
    "title", "service", "impact", "urgency", "priority", "team", "assignee", "tier", "region",
    "impact_type", "users_affected", "detection", "dedup_key", "root_cause", "resolution",
    "failure_mode", "started_at", "tags.NAME",
  ]

  /// Parses `field=value`; an empty value clears an optional field.
  public init(parsing text: String) throws {
    guard let eq = text.firstIndex(of: "=") else {
      throw ITSMError.usage("'--set \(text)': expected field=value")
    }
    field = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
    value = String(text[text.index(after: eq)...])
    let known = FieldAssignment.settable.contains(field) || (field.hasPrefix("tags.") && field.count > 5)
    guard known else {
      throw ITSMError.usage(
        "'--set \(text)': '\(field)' cannot be set (settable: \(FieldAssignment.settable.joined(separator: ", ")))")
    }
  }

  func apply(to incident: inout Incident, matrix: PriorityMatrix) throws {
    let v = value.isEmpty ? nil : value
    func bad(_ expected: String) -> ITSMError { .usage("'--set \(field)=\(value)': expected \(expected)") }
    func level(_ text: String?) throws -> Int? {
      guard let text else { return nil }
      guard let n = Int(text), (1...3).contains(n) else { throw bad("1, 2 or 3") }
      return n
    }
    switch field {
    case "title", "service":
      guard let v else { throw bad("a value (\(field) cannot be empty)") }
      if field == "title" { incident.title = v } else { incident.service = v }
    case "impact": incident.setImpact(try level(v), urgency: incident.urgency, matrix: matrix)
    case "urgency": incident.setImpact(incident.impact, urgency: try level(v), matrix: matrix)
    case "priority":
      if v == nil || v == "matrix" || v == "auto" {
        guard let derived = incident.matrixPriority else {
          throw bad("P1..P5 (no impact and urgency to derive it from)")
        }
        incident.prioritySource = .matrix
        incident.priority = derived
      } else {
        guard let p = Priority(parsing: value) else { throw bad("P1..P5, or 'matrix' to derive it again") }
        incident.priority = p
        incident.prioritySource = .manual
      }
    case "team": incident.team = v
    case "assignee": incident.assignee = v
    case "tier":
      guard let t = v.map({ SupportTier(parsing: $0) }) else {
        incident.tier = nil
        return
      }
      guard let t else { throw bad("L0, L1, L2 or L3") }
      incident.tier = t
    case "region": incident.region = v
    case "impact_type":
      guard let t = v.map({ ImpactType(rawValue: $0) }) else {
        incident.impactType = nil
        return
      }
      guard let t else { throw bad(ImpactType.allCases.map(\.rawValue).joined(separator: ", ")) }
      incident.impactType = t
    case "users_affected":
      guard let v else {
        incident.usersAffected = nil
        return
      }
      guard let n = Int(v), n >= 0 else { throw bad("a whole number of users, 0 or more") }
      incident.usersAffected = n
    case "detection":
      guard let t = v.map({ DetectionSource(rawValue: $0) }) else {
        incident.detection = nil
        return
      }
      guard let t else { throw bad(DetectionSource.allCases.map(\.rawValue).joined(separator: ", ")) }
      incident.detection = t
    case "dedup_key": incident.dedupKey = v
    case "root_cause": incident.rootCause = v
    case "resolution": incident.resolution = v
    case "failure_mode": incident.failureMode = v
    case "started_at":
      guard let v else {
        incident.startedAt = nil
        return
      }
      guard let t = TimestampParser.parseAbsolute(v) else { throw bad("an RFC 3339 timestamp") }
      incident.startedAt = t
    default:
      let tag = String(field.dropFirst(5))
      incident.tags[tag] = v
    }
  }
}
