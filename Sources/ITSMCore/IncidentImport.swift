import Foundation
import GRDB

/// The keys of an incident record that itsm models; everything else goes to `extra`.
enum IncidentKey: String, CaseIterable {
  case kind, id, title, service, status, priority
  case prioritySource = "priority_source"
  case matrixPriority = "matrix_priority"
  case impact, urgency, team, assignee, tier, region
  case impactType = "impact_type"
  case usersAffected = "users_affected"
  case detection
  case dedupKey = "dedup_key"
  case alertCount = "alert_count"
  case lastAlertAt = "last_alert_at"
  case tags
  case rootCause = "root_cause"
  case resolution
  case failureMode = "failure_mode"
  case startedAt = "started_at"
  case openedAt = "opened_at"
  case acknowledgedAt = "acknowledged_at"
  case firstResolvedAt = "first_resolved_at"
  case resolvedAt = "resolved_at"
  case closedAt = "closed_at"
  case canceledAt = "canceled_at"
  case reopenCount = "reopen_count"
  case reassignmentCount = "reassignment_count"
  case escalationLevel = "escalation_level"
  case productivityLossMin = "productivity_loss_min"
  case financialImpact = "financial_impact"
  case updatedAt = "updated_at"
  case extra

  /// The key names in slot order.
  static let names: [String] = allCases.map(\.rawValue)
  /// The cases in slot order (`allCases` builds a new array on every use).
  static let ordered: [IncidentKey] = allCases
  /// The case's place in `ordered`: an enum without payloads is its case's number, in
  /// declaration order (a test checks this), so no search is needed.
  var slot: Int { Int(unsafeBitCast(self, to: UInt8.self)) }
  /// The slot of a key name; nil for a key itsm does not model. The incident keys are the
  /// first of `JSONKeys`, in slot order: a key's number there, when below their count, is its
  /// slot.
  static func slot(of key: String) -> Int? {
    var key = key
    return key.withUTF8 { JSONKeys.number(of: $0) }.flatMap { $0 < ordered.count ? $0 : nil }
  }

  /// The slot of a key the parser read, given its number among `JSONKeys` when it has one.
  static func slot(of key: String, number: Int?) -> Int? {
    guard let number else { return slot(of: key) }
    return number < ordered.count ? number : nil
  }
}

extension Incident {
  /// The keys of an incident record, in the order records print them.
  public static let recordKeys: [String] = IncidentKey.names
}

/// One incident record's fields, looked up once by key into slots.
struct IncidentFields: JSONFieldSink {
  /// How many keys there are (a test checks it).
  static let keyCount = 38

  /// A key's value: as the record gave it, or a time a typed reader already parsed (the
  /// JSON parser, ServiceNow's rows), so that it is not written as text and parsed again.
  private enum Slot {
    case absent
    case value(JSONValue)
    case time(Timestamp)
  }

  /// One per key, in one allocation per record; of a key given twice, the last wins.
  private var slots = [Slot](repeating: .absent, count: IncidentFields.keyCount)
  private(set) var unknown: [JSONField] = []

  init() {}

  init(_ object: JSONObject) {
    for field in object.fields { appendField(field.key, number: nil, field.value) }
  }

  mutating func appendField(_ key: String, number: Int?, _ value: JSONValue) {
    if let slot = IncidentKey.slot(of: key, number: number) {
      slots[slot] = .value(value)
    } else {
      unknown.append(JSONField(key, value))
    }
  }

  /// The time keys: their values are read as times where they are RFC 3339 strings.
  func takesTime(number: Int) -> Bool {
    guard number < IncidentFields.keyCount else { return false }
    // A key's number is its slot, the inverse of `IncidentKey.slot`.
    switch unsafeBitCast(UInt8(number), to: IncidentKey.self) {
    case .startedAt, .openedAt, .acknowledgedAt, .firstResolvedAt, .resolvedAt, .closedAt, .canceledAt, .lastAlertAt,
      .updatedAt:
      return true
    default: return false
    }
  }

  /// A time key's value, read as a time by the parser.
  mutating func appendField(_ key: String, number: Int, time: Timestamp) {
    slots[number] = .time(time)
  }

  /// Sets a field that a typed reader found; nil leaves it absent.
  mutating func set(_ key: IncidentKey, _ value: JSONValue?) {
    if let value { slots[key.slot] = .value(value) }
  }

  /// Sets a time field as a time; nil leaves it absent.
  mutating func set(_ key: IncidentKey, time: Timestamp?) {
    if let time { slots[key.slot] = .time(time) }
  }

  subscript(key: IncidentKey) -> FieldValue {
    switch slots[key.slot] {
    case .absent: return FieldValue(key.rawValue, nil)
    case .value(let value): return FieldValue(key.rawValue, value)
    case .time(let time): return FieldValue(key.rawValue, nil, time: time)
    }
  }
}

/// An incident decoded from a record, with what the record left out that matters later.
public struct DecodedIncident: Sendable {
  public var incident: Incident
  /// False when the record had no `opened_at`: it then defaults to the import's time for a new
  /// incident, and an existing incident keeps its own without a warning.
  public var openedAtGiven: Bool
  /// Events the source kept beside the lifecycle times (an audit history): added to the
  /// timeline, on a later import only those after what is recorded.
  public var history: [EventDraft] = []
}

/// Turns incident records (from `export`, another system, or jq) into validated incidents.
/// Pure: no database, no clock but the `now` it is given.
public struct IncidentDecoder: Sendable {
  /// The policy, behind a reference: the decoding closures of the readers capture a decoder
  /// and run once a record, and a `Policy` held inline was copied (every field retained and
  /// released) each time.
  private let settings: PolicyBox
  public let now: Timestamp
  public var policy: Policy { settings.policy }

  public init(policy: Policy, now: Timestamp) {
    settings = PolicyBox(policy)
    self.now = now
  }

  /// Decodes one record. The id may be absent (nil in the result); everything else is checked:
  /// types, ranges, known choices, and that the lifecycle times are in order.
  public func decode(_ object: JSONObject) throws -> DecodedIncident {
    try decode(IncidentFields(object))
  }

  /// Decodes one record from its JSON text, parsed straight into its fields (no object is
  /// made of it first). With `requiringOpenedAt`, a record without the key is refused.
  public func decode(json bytes: UnsafeBufferPointer<UInt8>, requiringOpenedAt: Bool = false) throws
    -> DecodedIncident
  {
    var fields = IncidentFields()
    try JSONParser.parseObject(bytes, into: &fields)
    if requiringOpenedAt && !fields[.openedAt].isPresent {
      throw RecordRejection("missing required field 'opened_at'")
    }
    return try decode(fields)
  }

  func decode(_ f: IncidentFields) throws -> DecodedIncident {
    if let kind = try f[.kind].string(), kind != "incident" {
      throw RecordRejection("not an incident record (kind '\(kind)')")
    }
    let title = try f[.title].string(required: true)!
    let service = try f[.service].string(required: true)!
    let impact = try f[.impact].int(in: 1...3)
    let urgency = try f[.urgency].int(in: 1...3)
    var priority: Priority?
    if let text = try f[.priority].string() {
      guard let p = Priority(parsing: text) else {
        throw RecordRejection("unknown priority '\(text)' (expected P1..P5)")
      }
      priority = p
    }
    let source = try f[.prioritySource].choice(PrioritySource.self, names: ["matrix", "manual"])
    var matrixPriority: Priority?
    if let impact, let urgency {
      matrixPriority = settings.policy.priorityMatrix.priority(impact: impact, urgency: urgency)
    }
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
    let givenID = try f[.id].string()
    guard let openedAt = try f[.openedAt].timestamp() ?? (givenID == nil ? nil : now) else {
      throw RecordRejection("a record without 'id' needs 'opened_at' (the two identify it on a re-import)")
    }
    var incident = Incident(
      id: givenID ?? "", title: title, service: service, priority: effective,
      prioritySource: prioritySource, openedAt: openedAt)
    let openedAtGiven = f[.openedAt].isPresent
    incident.impact = impact
    incident.urgency = urgency
    incident.matrixPriority = matrixPriority
    try decodeDetails(f, into: &incident)
    try decodeTimes(f, into: &incident, openedAtGiven: openedAtGiven)
    try decodeStatus(f, into: &incident)
    if incident.id.isEmpty { incident.id = IncidentDecoder.naturalID(incident) }
    return DecodedIncident(incident: incident, openedAtGiven: openedAtGiven)
  }

  private func decodeDetails(_ f: IncidentFields, into incident: inout Incident) throws {
    incident.team = try f[.team].string()
    incident.assignee = try f[.assignee].string()
    if let tier = try f[.tier].string() {
      guard let t = SupportTier(parsing: tier) else {
        throw RecordRejection("unknown tier '\(tier)' (expected L0, L1, L2, L3)")
      }
      incident.tier = t
    }
    incident.region = try f[.region].string()
    incident.impactType = try f[.impactType].choice(ImpactType.columnChoices)
    incident.usersAffected = try f[.usersAffected].int(in: 0...Int64(Int32.max))
    incident.detection = try f[.detection].choice(DetectionSource.columnChoices)
    incident.dedupKey = try f[.dedupKey].string()
    incident.alertCount = try f[.alertCount].int(in: 0...Int64(Int32.max)) ?? 0
    incident.rootCause = try f[.rootCause].string()
    incident.resolution = try f[.resolution].string()
    incident.failureMode = try f[.failureMode].string()
    incident.reopenCount = try f[.reopenCount].int(in: 0...1_000_000) ?? 0
    incident.reassignmentCount = try f[.reassignmentCount].int(in: 0...1_000_000) ?? 0
    incident.escalationLevel = try f[.escalationLevel].int(in: 0...100) ?? 0
    switch f[.tags].value {
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
    switch f[.extra].value {
    case nil, .null?: break
    case .object(let o)?: extra = o
    case let other?: throw RecordRejection("'extra' must be an object, got \(other.typeName)")
    }
    for field in f.unknown { extra[field.key] = field.value }
    incident.extra = extra
  }

  private func decodeTimes(_ f: IncidentFields, into incident: inout Incident, openedAtGiven: Bool) throws {
    incident.startedAt = try f[.startedAt].timestamp()
    incident.acknowledgedAt = try f[.acknowledgedAt].timestamp()
    incident.firstResolvedAt = try f[.firstResolvedAt].timestamp()
    incident.resolvedAt = try f[.resolvedAt].timestamp()
    incident.closedAt = try f[.closedAt].timestamp()
    incident.canceledAt = try f[.canceledAt].timestamp()
    incident.lastAlertAt = try f[.lastAlertAt].timestamp()
    if incident.firstResolvedAt == nil { incident.firstResolvedAt = incident.resolvedAt }
    func order(_ earlier: (String, Timestamp?), _ later: (String, Timestamp?)) throws {
      if let a = earlier.1, let b = later.1, b < a {
        let defaulted = earlier.0 == "opened_at" && !openedAtGiven ? ", which is missing and so is now" : ""
        throw RecordRejection("\(later.0) (\(b)) is before \(earlier.0) (\(a))\(defaulted)")
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
    // The latest of the times, without an array per record.
    var latest = incident.openedAt
    func consider(_ time: Timestamp?) { if let time, time > latest { latest = time } }
    consider(incident.acknowledgedAt)
    consider(incident.resolvedAt)
    consider(incident.closedAt)
    consider(incident.canceledAt)
    incident.updatedAt = try f[.updatedAt].timestamp().map { max($0, latest) } ?? latest
  }

  private func decodeStatus(_ f: IncidentFields, into incident: inout Incident) throws {
    let given = try f[.status].choice(IncidentStatus.columnChoices)
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
    let hash = StableHash.fnv1a("\(incident.service)\u{1F}\(incident.title)\u{1F}\(incident.openedAt.seconds)")
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
  /// Rows this import creates get numbers from here on; their input lines are kept in a flat
  /// array (4 bytes a row) to name a repeated id, and updated older rows in a small map.
  private let firstNewRow: Int64
  private var linesOfNewRows: [Int32] = []
  private var linesOfUpdatedRows: [Int64: Int] = [:]
  public private(set) var summary = ImportSummary()
  /// The highest `INC-<n>` created, so that new ids continue after imported ones.
  private var highestNumber: Int64 = 0
  public var onWarning: (String) -> Void = { _ in }
  /// New incidents' events, not yet written.
  private var events = EventRows(entity: "incident")

  public init(store: IncidentStore, context: ChangeContext, now: Timestamp) throws {
    self.store = store
    self.context = context
    self.now = now
    self.firstNewRow = try store.nextRowID()
  }

  /// Completes the import: the events still waiting are written, and new incident ids will
  /// continue after the imported ones.
  public func finish() throws {
    try store.write(&events, context: context)
    if highestNumber > 0 { try store.advanceCounter(to: highestNumber) }
  }

  /// Opening, first acknowledgement and first resolution are recorded once, by their events,
  /// and metrics rely on them: a re-import never moves them (it may fill one that is missing).
  private func keepRecordedTimes(
    of existing: Incident, in incident: inout Incident, openedAtGiven: Bool, line: Int, source: String
  ) {
    func keep(_ name: String, _ path: WritableKeyPath<Incident, Timestamp?>) {
      guard let recorded = existing[keyPath: path] else { return }
      if let given = incident[keyPath: path], given != recorded {
        onWarning("\(source):\(line): \(incident.id): \(name) stays \(recorded) as recorded (the record says \(given))")
      }
      incident[keyPath: path] = recorded
    }
    if openedAtGiven && incident.openedAt != existing.openedAt {
      onWarning(
        "\(source):\(line): \(incident.id): opened_at stays \(existing.openedAt) as recorded (the record says \(incident.openedAt))"
      )
    }
    incident.openedAt = existing.openedAt
    keep("acknowledged_at", \.acknowledgedAt)
    keep("first_resolved_at", \.firstResolvedAt)
  }

  public func apply(_ decoded: DecodedIncident, line: Int, source: String) throws {
    var incident = decoded.incident
    let timeline = (IncidentDecoder.synthesizedTimeline(incident) + decoded.history).sorted { $0.at < $1.at }
    if try store.insertIfNew(&incident) {
      // A new incident's events wait to be written many to a statement.
      events.add(timeline, id: incident.id, num: incident.rowID!)
      if events.isFull { try store.write(&events, context: context) }
      let slot = Int(incident.rowID! - firstNewRow)
      if linesOfNewRows.count <= slot {
        linesOfNewRows.append(contentsOf: repeatElement(0, count: slot + 1 - linesOfNewRows.count))
      }
      linesOfNewRows[slot] = Int32(clamping: line)
      summary.created += 1
      if incident.id.hasPrefix("INC-"), let n = Int64(incident.id.dropFirst(4)), n > highestNumber {
        highestNumber = n
      }
      return
    }
    // What follows reads the timeline: the events waiting are written first.
    try store.write(&events, context: context)
    let existing = try store.require(id: incident.id)
    let row = existing.rowID!
    if let earlier = row >= firstNewRow ? Int(linesOfNewRows[Int(row - firstNewRow)]) : linesOfUpdatedRows[row] {
      onWarning("\(source):\(line): id '\(incident.id)' also appears on line \(earlier); the later record wins")
    }
    if row >= firstNewRow {
      linesOfNewRows[Int(row - firstNewRow)] = Int32(clamping: line)
    } else {
      linesOfUpdatedRows[row] = line
    }
    incident.rowID = row
    keepRecordedTimes(of: existing, in: &incident, openedAtGiven: decoded.openedAtGiven, line: line, source: source)
    let changes = Incident.changes(from: existing, to: incident, policy: store.policy)
    guard !changes.isEmpty else {
      summary.unchanged += 1
      return
    }
    var events = [EventDraft(type: "imported", at: now, data: JSONObject([JSONField("changes", .object(changes))]))]
    events.append(contentsOf: IncidentDecoder.synthesizedTimeline(incident, since: existing))
    if !decoded.history.isEmpty {
      // Only what the timeline does not hold yet: history after the last that was imported.
      let types = Set(decoded.history.map(\.type))
      let last =
        try Int64.fetchOne(
          store.db.cachedStatement(
            sql: """
              SELECT max(at) FROM events WHERE entity_num = ? AND entity = 'incident' AND source = 'import'
                AND type IN (\(types.sorted().map { "'\($0)'" }.joined(separator: ", ")))
              """), arguments: [row]) ?? Int64.min
      events.append(contentsOf: decoded.history.filter { $0.at.seconds > last })
    }
    if incident.updatedAt < existing.updatedAt { incident.updatedAt = existing.updatedAt }
    try store.update(incident, events: events, context: context)
    summary.updated += 1
  }
}

/// A policy shared by reference (see `IncidentDecoder`).
final class PolicyBox: Sendable {
  let policy: Policy
  init(_ policy: Policy) { self.policy = policy }
}
