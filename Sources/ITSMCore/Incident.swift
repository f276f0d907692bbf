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
  case l0 = "L0"
  case l1 = "L1"
  case l2 = "L2"
  case l3 = "L3"

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
    return Incident.productivityLoss(users: users, from: startedAt ?? openedAt, to: end)
  }

  /// Lost hours priced at the policy's hourly cost for the service.
  public func financialImpact(policy: Policy) -> Double? {
    // Not through a closure: one that captures the policy copies it, every field of it.
    guard let minutes = productivityLossMinutes else { return nil }
    return policy.cost(ofLostMinutes: minutes, service: service)
  }

  /// User-minutes lost: users x minutes of impact.
  public static func productivityLoss(users: Int, from start: Timestamp, to end: Timestamp) -> Double {
    Double(users) * max(0, end.minutes(since: start))
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
    var builder = ObjectBuilder()
    build(into: &builder, policy: policy)
    return builder.object
  }

  /// Appends the record as one line of compact JSON, without building a `JSONObject` first:
  /// the same fields in the same order, for exports of millions of rows.
  public func appendJSONLine(to out: inout [UInt8], policy: Policy) {
    var writer = JSONLineWriter(out: out)
    out = []
    build(into: &writer, policy: policy)
    out = writer.finish()
  }

  /// The one definition of the record's fields and their order, for both builders.
  func build<B: RecordBuilder>(into b: inout B, policy: Policy) {
    b.string("kind", "incident")
    b.string("id", id)
    b.string("title", title)
    b.string("service", service)
    b.string("status", status.rawValue)
    b.string("priority", priority.description)
    b.string("priority_source", prioritySource.rawValue)
    b.string("matrix_priority", matrixPriority?.description)
    b.int("impact", impact)
    b.int("urgency", urgency)
    b.string("team", team)
    b.string("assignee", assignee)
    b.string("tier", tier?.rawValue)
    b.string("region", region)
    b.string("impact_type", impactType?.rawValue)
    b.int("users_affected", usersAffected)
    b.string("detection", detection?.rawValue)
    b.string("dedup_key", dedupKey)
    b.int("alert_count", alertCount)
    b.time("last_alert_at", lastAlertAt)
    if !tags.isEmpty {
      b.object("tags", JSONObject(tags.sorted { $0.key < $1.key }.map { JSONField($0.key, .string($0.value)) }))
    }
    b.string("root_cause", rootCause)
    b.string("resolution", resolution)
    b.string("failure_mode", failureMode)
    b.time("started_at", startedAt)
    b.time("opened_at", openedAt)
    b.time("acknowledged_at", acknowledgedAt)
    b.time("first_resolved_at", firstResolvedAt)
    b.time("resolved_at", resolvedAt)
    b.time("closed_at", closedAt)
    b.time("canceled_at", canceledAt)
    b.int("reopen_count", reopenCount)
    b.int("reassignment_count", reassignmentCount)
    b.int("escalation_level", escalationLevel)
    b.double("productivity_loss_min", productivityLossMinutes)
    b.double("financial_impact", financialImpact(policy: policy))
    b.time("updated_at", updatedAt)
    if !extra.isEmpty { b.object("extra", extra) }
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
