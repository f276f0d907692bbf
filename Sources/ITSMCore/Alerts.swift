import Foundation
import GRDB

/// One monitoring alert, as `itsm-incident alert` reads it.
public struct Alert: Equatable, Sendable {
  public enum State: String, Sendable { case firing, resolved }

  public var dedupKey: String
  public var state: State
  public var title: String?
  public var service: String?
  public var priority: Priority?
  public var at: Timestamp
  public var extra: JSONObject
}

/// What happened to an alert.
public enum AlertOutcome: Equatable, Sendable {
  case opened(Incident)
  case joined(Incident)
  case resolved(Incident)
  /// A resolved alert whose incident stays open, because the policy says so.
  case noted(Incident)
  /// A resolved alert with no open incident for its key.
  case ignored(String)
}

/// Alert de-duplication: an alert joins the open incident that holds its `dedup_key` (count,
/// last seen) instead of opening another; keys join open incidents only.
public struct AlertIngest {
  public let store: IncidentStore
  public let context: ChangeContext
  /// The time of the delivery: when alerts without their own time happened, and when the
  /// incidents they open start their escalation clocks.
  public var now: Timestamp
  /// Called with each incident an alert opens and `now`, in the same transaction.
  public var onOpened: ((Incident, Timestamp) throws -> Void)?

  public init(store: IncidentStore, context: ChangeContext, now: Timestamp) {
    self.store = store
    self.context = context
    self.now = now
  }

  static let keys: Set<String> = ["kind", "dedup_key", "title", "service", "priority", "severity", "status", "at"]

  /// Decodes and checks one alert record.
  public static func decode(_ object: JSONObject, policy: Policy, now: Timestamp) throws -> Alert {
    let f = RecordFields(object)
    let key = try f["dedup_key"].string(required: true)!
    let stateText = try f["status"].string() ?? "firing"
    guard let state = Alert.State(rawValue: stateText) else {
      throw RecordRejection("unknown status '\(stateText)' (expected firing or resolved)")
    }
    var priority: Priority?
    if let text = try f["priority"].string() {
      guard let p = Priority(parsing: text) else {
        throw RecordRejection("unknown priority '\(text)' (expected P1..P5)")
      }
      priority = p
    } else if let severity = try f["severity"].string() {
      guard let p = policy.alerts.severityPriority[severity.lowercased()] else {
        let known = policy.alerts.severityPriority.keys.sorted().joined(separator: ", ")
        throw RecordRejection("unknown severity '\(severity)' (the policy maps: \(known))")
      }
      priority = p
    }
    let alert = Alert(
      dedupKey: key, state: state, title: try f["title"].string(), service: try f["service"].string(),
      priority: priority, at: try f["at"].timestamp() ?? now,
      extra: JSONObject(object.fields.filter { !keys.contains($0.key) }))
    if state == .firing {
      if alert.title == nil { throw RecordRejection("a firing alert needs 'title'") }
      if alert.service == nil { throw RecordRejection("a firing alert needs 'service'") }
      if alert.priority == nil { throw RecordRejection("a firing alert needs 'priority' (P1..P5) or 'severity'") }
    }
    return alert
  }

  /// Applies one alert in the caller's transaction.
  public func apply(_ alert: Alert) throws -> AlertOutcome {
    let existing = try store.openIncident(dedupKey: alert.dedupKey)
    switch (alert.state, existing) {
    case (.firing, var incident?):
      incident.alertCount += 1
      incident.lastAlertAt = max(incident.lastAlertAt ?? alert.at, alert.at)
      incident.updatedAt = max(incident.updatedAt, alert.at)
      let data = JSONObject([
        JSONField("dedup_key", .string(alert.dedupKey)), JSONField("alert_count", .int(Int64(incident.alertCount))),
      ])
      try store.update(
        incident, events: [EventDraft(type: "alert", at: max(alert.at, incident.openedAt), data: data)],
        context: context)
      return .joined(incident)
    case (.firing, nil):
      var incident = Incident(
        id: try store.nextID(), title: alert.title!, service: alert.service!, priority: alert.priority!,
        prioritySource: .manual, openedAt: alert.at)
      incident.dedupKey = alert.dedupKey
      incident.alertCount = 1
      incident.lastAlertAt = alert.at
      incident.detection = .monitoringAlert
      incident.extra = alert.extra
      let data = JSONObject([JSONField("dedup_key", .string(alert.dedupKey))])
      try store.insert(&incident, events: [EventDraft(type: "opened", at: alert.at, data: data)], context: context)
      try onOpened?(incident, now)
      return .opened(incident)
    case (.resolved, let incident?):
      // Alerts may arrive out of order; a resolution never goes before the last change.
      let at = max(alert.at, incident.updatedAt)
      guard store.policy.alerts.resolveIncidents else {
        let data = JSONObject([JSONField("dedup_key", .string(alert.dedupKey))])
        try store.append([EventDraft(type: "alert_resolved", at: at, data: data)], to: incident, context: context)
        return .noted(incident)
      }
      var outcome = try IncidentLifecycle.apply(
        .resolve(rootCause: nil, resolution: nil), to: incident, at: at, policy: store.policy)
      outcome.events[0].data.add("by", .string("alert"))
      try store.update(outcome.incident, events: outcome.events, context: context)
      return .resolved(outcome.incident)
    case (.resolved, nil):
      return .ignored("no open incident has dedup key '\(alert.dedupKey)'; the resolved alert changes nothing")
    }
  }
}

extension AlertIngest {
  /// An ingest whose new incidents are bound to the escalation policy in force, in the same
  /// transaction, so that their clocks start when they open.
  public static func bound(_ db: Database, policy: Policy, context: ChangeContext, now: Timestamp) -> AlertIngest {
    var ingest = AlertIngest(store: IncidentStore(db, policy: policy), context: context, now: now)
    let escalation = EscalationStore(db, policy: policy, context: context)
    ingest.onOpened = { try escalation.bind($0, now: $1) }
    return ingest
  }
}

extension AppDatabase {
  /// Group commit for deliveries that arrive together: one IMMEDIATE transaction in which each
  /// delivery has a savepoint of its own, so that a delivery that fails is undone alone and
  /// gets its error while the others commit. Throws (nothing committed) when the transaction
  /// itself cannot begin or commit.
  public func ingest(
    deliveries: [(alerts: [Alert], now: Timestamp)], policy: Policy, context: ChangeContext
  ) throws -> [Result<[AlertOutcome], Error>] {
    try write { db in
      // One ingest for the group: its statements are prepared once, not once per delivery.
      var ingest = AlertIngest.bound(
        db, policy: policy, context: context, now: deliveries.first?.now ?? Timestamp(seconds: 0))
      return deliveries.map { delivery in
        Result {
          var outcomes: [AlertOutcome] = []
          ingest.now = delivery.now
          do {
            try db.inSavepoint {
              outcomes = try delivery.alerts.map { try ingest.apply($0) }
              return .commit
            }
          } catch let error as DatabaseError {
            throw AppDatabase.translate(error, path: path)
          }
          return outcomes
        }
      }
    }
  }
}
