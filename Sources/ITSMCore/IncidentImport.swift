import Foundation
import GRDB

/// Turns incident records (from `export`, another system, or jq) into validated incidents.
/// Pure: no database, no clock but the `now` it is given.
public struct IncidentDecoder {
  public let policy: Policy
  public let now: Timestamp

  public init(policy: Policy, now: Timestamp) {
    self.policy = policy
    self.now = now
  }

  static let modelledKeys: Set<String> = [
    "kind", "id", "title", "service", "status", "priority", "priority_source", "matrix_priority",
    "impact", "urgency", "team", "assignee", "tier", "region", "impact_type", "users_affected",
    "detection", "dedup_key", "alert_count", "last_alert_at", "tags", "root_cause", "resolution",
    "failure_mode", "started_at", "opened_at", "acknowledged_at", "first_resolved_at",
    "resolved_at", "closed_at", "canceled_at", "reopen_count", "reassignment_count",
    "escalation_level", "productivity_loss_min", "financial_impact", "updated_at", "extra",
  ]

  /// Decodes one record. The id may be absent (nil in the result); everything else is checked:
  /// types, ranges, known choices, and that the lifecycle times are in order.
  public func decode(_ object: JSONObject) throws -> Incident {
    let f = RecordFields(object)
    if let kind = try f.string("kind"), kind != "incident" {
      throw RecordRejection("not an incident record (kind '\(kind)')")
    }
    let title = try f.string("title", required: true)!
    let service = try f.string("service", required: true)!
    let impact = try f.int("impact", in: 1...3)
    let urgency = try f.int("urgency", in: 1...3)
    var priority: Priority?
    if let text = try f.string("priority") {
      guard let p = Priority(parsing: text) else { throw RecordRejection("unknown priority '\(text)' (expected P1..P5)") }
      priority = p
    }
    let source = try f.choice("priority_source", PrioritySource.self, names: ["matrix", "manual"])
    let matrixPriority = impact.flatMap { i in urgency.map { policy.priorityMatrix.priority(impact: i, urgency: $0) } }
    if (impact == nil) != (urgency == nil) {
      throw RecordRejection("'impact' and 'urgency' go together: give both or neither")
    }
    let effective: Priority
    let prioritySource: PrioritySource
    switch (priority, matrixPriority, source) {
    case (_, let m?, .matrix?), (nil, let m?, _): (effective, prioritySource) = (m, .matrix)
    case (let p?, let m?, nil): (effective, prioritySource) = (p, p == m ? .matrix : .manual)
    case (let p?, _, _): (effective, prioritySource) = (p, .manual)
    case (nil, nil, _): throw RecordRejection("missing priority: give 'priority' (P1..P5) or 'impact' and 'urgency'")
    }
    let openedAt = try f.timestamp("opened_at") ?? now
    var incident = Incident(
      id: try f.string("id") ?? "", title: title, service: service, priority: effective,
      prioritySource: prioritySource, openedAt: openedAt)
    incident.impact = impact
    incident.urgency = urgency
    incident.matrixPriority = matrixPriority
    try decodeDetails(f, into: &incident)
    try decodeTimes(f, into: &incident)
    try decodeStatus(f, into: &incident)
    if incident.id.isEmpty { incident.id = IncidentDecoder.naturalID(incident) }
    return incident
  }

  private func decodeDetails(_ f: RecordFields, into incident: inout Incident) throws {
    incident.team = try f.string("team")
    incident.assignee = try f.string("assignee")
    if let tier = try f.string("tier") {
      guard let t = SupportTier(parsing: tier) else { throw RecordRejection("unknown tier '\(tier)' (expected L0, L1, L2, L3)") }
      incident.tier = t
    }
    incident.region = try f.string("region")
    incident.impactType = try f.choice("impact_type", ImpactType.self, names: ImpactType.allCases.map(\.rawValue))
    incident.usersAffected = try f.int("users_affected", in: 0...Int64(Int32.max))
    incident.detection = try f.choice("detection", DetectionSource.self, names: DetectionSource.allCases.map(\.rawValue))
    incident.dedupKey = try f.string("dedup_key")
    incident.alertCount = try f.int("alert_count", in: 0...Int64(Int32.max)) ?? 0
    incident.rootCause = try f.string("root_cause")
    incident.resolution = try f.string("resolution")
    incident.failureMode = try f.string("failure_mode")
    incident.reopenCount = try f.int("reopen_count", in: 0...1_000_000) ?? 0
    incident.reassignmentCount = try f.int("reassignment_count", in: 0...1_000_000) ?? 0
    incident.escalationLevel = try f.int("escalation_level", in: 0...100) ?? 0
    switch f["tags"] {
    case nil, .null?: break
    case .object(let tags)?:
      for field in tags.fields {
        switch field.value {
        case .string(let s): incident.tags[field.key] = s
        case .int(let i): incident.tags[field.key] = String(i)
        case .bool(let b): incident.tags[field.key] = String(b)
        case .null: break
        default: throw RecordRejection("tag '\(field.key)' must be a string, got \(field.value.typeName)")
        }
      }
    case let other?: throw RecordRejection("'tags' must be an object, got \(other.typeName)")
    }
    var extra = JSONObject()
    switch f["extra"] {
    case nil, .null?: break
    case .object(let o)?: extra = o
    case let other?: throw RecordRejection("'extra' must be an object, got \(other.typeName)")
    }
    for field in f.object.fields where !IncidentDecoder.modelledKeys.contains(field.key) {
      extra[field.key] = field.value
    }
    incident.extra = extra
  }

  private func decodeTimes(_ f: RecordFields, into incident: inout Incident) throws {
    incident.startedAt = try f.timestamp("started_at")
    incident.acknowledgedAt = try f.timestamp("acknowledged_at")
    incident.firstResolvedAt = try f.timestamp("first_resolved_at")
    incident.resolvedAt = try f.timestamp("resolved_at")
    incident.closedAt = try f.timestamp("closed_at")
    incident.canceledAt = try f.timestamp("canceled_at")
    incident.lastAlertAt = try f.timestamp("last_alert_at")
    if incident.firstResolvedAt == nil { incident.firstResolvedAt = incident.resolvedAt }
    func order(_ earlier: (String, Timestamp?), _ later: (String, Timestamp?)) throws {
      if let a = earlier.1, let b = later.1, b < a {
        throw RecordRejection("\(later.0) (\(b)) is before \(earlier.0) (\(a))")
      }
    }
    let opened = ("opened_at", Optional(incident.openedAt))
    try order(opened, ("acknowledged_at", incident.acknowledgedAt))
    try order(opened, ("first_resolved_at", incident.firstResolvedAt))
    try order(opened, ("resolved_at", incident.resolvedAt))
    try order(("first_resolved_at", incident.firstResolvedAt), ("resolved_at", incident.resolvedAt))
    try order(("resolved_at", incident.resolvedAt), ("closed_at", incident.closedAt))
    try order(opened, ("closed_at", incident.closedAt))
    try order(opened, ("canceled_at", incident.canceledAt))
    let latest = [incident.openedAt, incident.acknowledgedAt, incident.resolvedAt, incident.closedAt, incident.canceledAt]
      .compactMap { $0 }.max()!
    incident.updatedAt = try f.timestamp("updated_at").map { max($0, latest) } ?? latest
  }

  private func decodeStatus(_ f: RecordFields, into incident: inout Incident) throws {
    let given = try f.choice("status", IncidentStatus.self, names: IncidentStatus.allCases.map(\.rawValue))
    let status =
      given
      ?? (incident.canceledAt != nil
        ? .canceled
        : incident.closedAt != nil
          ? .closed : incident.resolvedAt != nil ? .resolved : incident.acknowledgedAt != nil ? .acknowledged : .new)
    func need(_ field: String, _ value: Timestamp?) throws {
      if value == nil { throw RecordRejection("status '\(status.rawValue)' needs '\(field)'") }
    }
    func forbid(_ field: String, _ value: Timestamp?) throws {
      if value != nil { throw RecordRejection("status '\(status.rawValue)' conflicts with '\(field)' being set") }
    }
    switch status {
    case .new:
      try forbid("acknowledged_at", incident.acknowledgedAt)
    case .acknowledged, .inProgress, .onHold:
      break
    case .resolved:
      try need("resolved_at", incident.resolvedAt)
      try forbid("closed_at", incident.closedAt)
    case .closed:
      try need("resolved_at", incident.resolvedAt)
      try need("closed_at", incident.closedAt)
    case .canceled:
      try need("canceled_at", incident.canceledAt)
    }
    if status.isOpen {
      try forbid("resolved_at", incident.resolvedAt)
      try forbid("closed_at", incident.closedAt)
    }
    if status != .canceled { try forbid("canceled_at", incident.canceledAt) }
    incident.status = status
  }

  /// A stable id for a record that has none, from what identifies it naturally (service,
  /// title, opened_at), so that importing the same file twice finds the same incident.
  public static func naturalID(_ incident: Incident) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in "\(incident.service)\u{1F}\(incident.title)\u{1F}\(incident.openedAt.seconds)".utf8 {
      hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
    }
    return "IMP-" + String(hash >> 16, radix: 16, uppercase: false)
  }

  /// The timeline of an incident that arrives with its history already in it, synthesized
  /// from its lifecycle times.
  public static func synthesizedTimeline(_ incident: Incident, since before: Incident? = nil) -> [EventDraft] {
    var events: [EventDraft] = []
    func add(_ type: String, _ now: Timestamp?, _ was: Timestamp?) {
      if let now, was == nil { events.append(EventDraft(type: type, at: now)) }
    }
    if before == nil { events.append(EventDraft(type: "opened", at: incident.openedAt)) }
    add("acknowledged", incident.acknowledgedAt, before?.acknowledgedAt)
    add("resolved", incident.firstResolvedAt, before?.firstResolvedAt)
    if let last = incident.resolvedAt, last != incident.firstResolvedAt, last != before?.resolvedAt {
      events.append(EventDraft(type: "resolved", at: last))
    }
    add("closed", incident.closedAt, before?.closedAt)
    add("canceled", incident.canceledAt, before?.canceledAt)
    return events.sorted { $0.at < $1.at }
  }
}

/// What an import did.
public struct ImportSummary: Equatable, Sendable {
  public var read = 0
  public var created = 0
  public var updated = 0
  public var unchanged = 0
  public var rejected = 0

  public init() {}

  public var changed: Int { created + updated }

  public var record: JSONObject {
    JSONObject([
      JSONField("kind", .string("summary")), JSONField("command", .string("import")),
      JSONField("read", .int(Int64(read))), JSONField("created", .int(Int64(created))),
      JSONField("updated", .int(Int64(updated))), JSONField("unchanged", .int(Int64(unchanged))),
      JSONField("rejected", .int(Int64(rejected))), JSONField("changed", .int(Int64(changed))),
    ])
  }
}

/// Upserts decoded incidents by id inside the caller's transaction. An identical record
/// changes nothing; a changed one is updated with an `imported` event that holds the changes.
public final class IncidentImporter {
  let store: IncidentStore
  let context: ChangeContext
  let now: Timestamp
  /// Rows written by this import, with the input line, to name duplicates in one input.
  private var written: [Int64: Int] = [:]
  public private(set) var summary = ImportSummary()
  /// The highest `INC-<n>` created, so that new ids continue after imported ones.
  private var highestNumber: Int64 = 0
  public var onWarning: (String) -> Void = { _ in }

  public init(store: IncidentStore, context: ChangeContext, now: Timestamp) {
    self.store = store
    self.context = context
    self.now = now
  }

  /// Completes the import: new incident ids will continue after the imported ones.
  public func finish() throws {
    if highestNumber > 0 { try store.advanceCounter(to: highestNumber) }
  }

  public func apply(_ incoming: Incident, line: Int, source: String) throws {
    var incident = incoming
    if let existing = try store.incident(id: incident.id), existing.id == incident.id {
      if let earlier = written[existing.rowID!] {
        onWarning("\(source):\(line): id '\(incident.id)' also appears on line \(earlier); the later record wins")
      }
      written[existing.rowID!] = line
      incident.rowID = existing.rowID
      let changes = Incident.changes(from: existing, to: incident, policy: store.policy)
      guard !changes.isEmpty else {
        summary.unchanged += 1
        return
      }
      var events = [EventDraft(type: "imported", at: now, data: JSONObject([JSONField("changes", .object(changes))]))]
      events.append(contentsOf: IncidentDecoder.synthesizedTimeline(incident, since: existing))
      if incident.updatedAt < existing.updatedAt { incident.updatedAt = existing.updatedAt }
      try store.update(incident, events: events, context: context)
      summary.updated += 1
    } else {
      try store.insert(&incident, events: IncidentDecoder.synthesizedTimeline(incident), context: context)
      written[incident.rowID!] = line
      summary.created += 1
      if incident.id.hasPrefix("INC-"), let n = Int64(incident.id.dropFirst(4)), n > highestNumber {
        highestNumber = n
      }
    }
  }
}
