import Foundation

/// Where an incident is in its lifecycle.
public enum IncidentStatus: String, CaseIterable, Sendable {
  case new, acknowledged
  case inProgress = "in_progress"
  case onHold = "on_hold"
  case resolved, closed, canceled

  /// The states in which work is still owed.
  public static let openStates: [IncidentStatus] = [.new, .acknowledged, .inProgress, .onHold]

  public var isOpen: Bool { IncidentStatus.openStates.contains(self) }

  public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}

/// The support tier that holds an incident: L0 (self-service) to L3 (engineering).
public enum SupportTier: String, CaseIterable, Sendable {
  case l0 = "L0", l1 = "L1", l2 = "L2", l3 = "L3"

  public init?(parsing text: String) {
    if let exact = SupportTier(rawValue: text) {
      self = exact
    } else {
      self.init(rawValue: text.uppercased())
    }
  }
}

/// The kind of business impact an incident has.
public enum ImpactType: String, CaseIterable, Sendable {
  case production, crm, engineering, sales, brand, reputation
}

/// How an incident was detected, from the most to the least automated.
public enum DetectionSource: String, CaseIterable, Sendable {
  case automatedRemediation = "automated_remediation"
  case preDeployGate = "pre_deploy_gate"
  case syntheticCheck = "synthetic_check"
  case canary
  case sloBurnAlert = "slo_burn_alert"
  case monitoringAlert = "monitoring_alert"
  case manualCheck = "manual_check"
  case userReport = "user_report"
}

/// An incident as itsm keeps it. Times are the first of each kind as the timeline recorded
/// them; `productivityLossMinutes` and `financialImpact` are derived when printed.
public struct Incident: Equatable, Sendable {
  /// The database's row number; nil until stored.
  public var rowID: Int64?
  public var id: String
  public var title: String
  public var service: String
  public var status: IncidentStatus = .new
  public var priority: Priority
  public var prioritySource: PrioritySource
  /// The matrix's answer for impact and urgency, kept apart from a manual override.
  public var matrixPriority: Priority?
  public var impact: Int?
  public var urgency: Int?
  public var team: String?
  public var assignee: String?
  public var tier: SupportTier?
  public var region: String?
  public var impactType: ImpactType?
  public var usersAffected: Int?
  public var detection: DetectionSource?
  public var dedupKey: String?
  public var alertCount = 0
  public var lastAlertAt: Timestamp?
  public var tags: [String: String] = [:]
  public var rootCause: String?
  public var resolution: String?
  /// The failure mode (itsm-fmea) this incident is an occurrence of.
  public var failureMode: String?
  /// When the impact began, if known before the incident was opened.
  public var startedAt: Timestamp?
  public var openedAt: Timestamp
  public var acknowledgedAt: Timestamp?
  public var firstResolvedAt: Timestamp?
  public var resolvedAt: Timestamp?
  public var closedAt: Timestamp?
  public var canceledAt: Timestamp?
  public var reopenCount = 0
  public var reassignmentCount = 0
  public var escalationLevel = 0
  public var updatedAt: Timestamp
  /// Fields from other systems that itsm does not model, kept as they came.
  public var extra = JSONObject()

  public init(
    id: String, title: String, service: String, priority: Priority,
    prioritySource: PrioritySource, openedAt: Timestamp
  ) {
    self.id = id
    self.title = title
    self.service = service
    self.priority = priority
    self.prioritySource = prioritySource
    self.openedAt = openedAt
    self.updatedAt = openedAt
  }

  /// User-minutes of lost productivity: users affected x minutes from impact start (else
  /// opened) to resolution. Nil until resolved or when the number of users is unknown.
  public var productivityLossMinutes: Double? {
    guard let users = usersAffected, let end = resolvedAt else { return nil }
    let start = startedAt ?? openedAt
    return Double(users) * max(0, end.minutes(since: start))
  }

  /// Lost hours priced at the policy's hourly cost for the service.
  public func financialImpact(policy: Policy) -> Double? {
    guard let loss = productivityLossMinutes else { return nil }
    return ((loss / 60) * policy.hourlyCost(for: service) * 100).rounded() / 100
  }

  /// Sets impact and urgency, and the priority with them unless it was set by hand.
  public mutating func setImpact(_ impact: Int?, urgency: Int?, matrix: PriorityMatrix) {
    self.impact = impact
    self.urgency = urgency
    if let impact, let urgency {
      matrixPriority = matrix.priority(impact: impact, urgency: urgency)
      if prioritySource == .matrix { priority = matrixPriority! }
    } else {
      matrixPriority = nil
    }
  }
}

extension Incident {
  /// The incident as a JSON Lines record of kind `incident`.
  public func record(policy: Policy) -> JSONObject {
    var o = JSONObject()
    o.fields.reserveCapacity(40)
    o.add("kind", .string("incident"))
    o.add("id", .string(id))
    o.add("title", .string(title))
    o.add("service", .string(service))
    o.add("status", .string(status.rawValue))
    o.add("priority", .string(priority.description))
    o.add("priority_source", .string(prioritySource.rawValue))
    o.add("matrix_priority", matrixPriority.map { .string($0.description) })
    o.add("impact", impact.map { .int(Int64($0)) })
    o.add("urgency", urgency.map { .int(Int64($0)) })
    o.add("team", team.map(JSONValue.string))
    o.add("assignee", assignee.map(JSONValue.string))
    o.add("tier", tier.map { .string($0.rawValue) })
    o.add("region", region.map(JSONValue.string))
    o.add("impact_type", impactType.map { .string($0.rawValue) })
    o.add("users_affected", usersAffected.map { .int(Int64($0)) })
    o.add("detection", detection.map { .string($0.rawValue) })
    o.add("dedup_key", dedupKey.map(JSONValue.string))
    o.add("alert_count", .int(Int64(alertCount)))
    o.add("last_alert_at", lastAlertAt.map { .string($0.rfc3339) })
    if !tags.isEmpty {
      o.add("tags", .object(JSONObject(tags.sorted { $0.key < $1.key }.map { JSONField($0.key, .string($0.value)) })))
    }
    o.add("root_cause", rootCause.map(JSONValue.string))
    o.add("resolution", resolution.map(JSONValue.string))
    o.add("failure_mode", failureMode.map(JSONValue.string))
    o.add("started_at", startedAt.map { .string($0.rfc3339) })
    o.add("opened_at", .string(openedAt.rfc3339))
    o.add("acknowledged_at", acknowledgedAt.map { .string($0.rfc3339) })
    o.add("first_resolved_at", firstResolvedAt.map { .string($0.rfc3339) })
    o.add("resolved_at", resolvedAt.map { .string($0.rfc3339) })
    o.add("closed_at", closedAt.map { .string($0.rfc3339) })
    o.add("canceled_at", canceledAt.map { .string($0.rfc3339) })
    o.add("reopen_count", .int(Int64(reopenCount)))
    o.add("reassignment_count", .int(Int64(reassignmentCount)))
    o.add("escalation_level", .int(Int64(escalationLevel)))
    o.add("productivity_loss_min", productivityLossMinutes.map(JSONValue.double))
    o.add("financial_impact", financialImpact(policy: policy).map(JSONValue.double))
    o.add("updated_at", .string(updatedAt.rfc3339))
    if !extra.isEmpty { o.add("extra", .object(extra)) }
    return o
  }

  /// Fields that are derived or bookkeeping, left out when two versions are compared.
  static let derivedKeys: Set<String> = [
    "kind", "productivity_loss_min", "financial_impact", "updated_at", "matrix_priority",
  ]

  /// What changed between two versions, as `{"field": {"from": old, "to": new}}`.
  public static func changes(from before: Incident, to after: Incident, policy: Policy) -> JSONObject {
    let old = before.record(policy: policy)
    let new = after.record(policy: policy)
    var keys: [String] = new.fields.map(\.key)
    for field in old.fields where !keys.contains(field.key) { keys.append(field.key) }
    var changes = JSONObject()
    for key in keys where !derivedKeys.contains(key) {
      let a = old[key]
      let b = new[key]
      if a != b {
        changes.add(key, .object(JSONObject([JSONField("from", a ?? .null), JSONField("to", b ?? .null)])))
      }
    }
    return changes
  }
}
