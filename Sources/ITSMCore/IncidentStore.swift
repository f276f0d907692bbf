import Foundation
import GRDB

/// Who is changing the database and through which door: a person at the command line, an
/// import, an alert feed. Every event records both.
public struct ChangeContext: Sendable {
  public var actor: String
  public var source: String

  public init(actor: String, source: String) {
    self.actor = actor
    self.source = source
  }
}

/// Which incidents `list` and `export` print.
public struct IncidentFilter: Sendable {
  public var statuses: [IncidentStatus] = []
  public var priorities: [Priority] = []
  public var services: [String] = []
  public var teams: [String] = []
  public var regions: [String] = []
  /// Opened at or after.
  public var since: Timestamp?
  /// Opened before.
  public var until: Timestamp?
  public var sort: IncidentSort = IncidentSort(field: "id", descending: false)
  public var limit: Int?

  public init() {}
}

/// A sort order for incident lists, from a field name; `-field` sorts descending.
public struct IncidentSort: Sendable, Equatable {
  /// The sortable fields and the SQL they sort by (never built from user text).
  public static let fields: [String: String] = [
    "id": "num", "opened_at": "opened_at", "priority": "priority", "status": "status",
    "service": "service", "title": "title", "team": "team", "assignee": "assignee",
    "updated_at": "updated_at", "resolved_at": "resolved_at", "acknowledged_at": "acknowledged_at",
    "region": "region",
  ]

  public var field: String
  public var descending: Bool

  public init(field: String, descending: Bool) {
    self.field = field
    self.descending = descending
  }

  public init(parsing text: String) throws {
    let descending = text.hasPrefix("-")
    let name = descending ? String(text.dropFirst()) : text
    guard IncidentSort.fields[name] != nil else {
      throw ITSMError.usage(
        "unknown sort field '\(name)' (expected one of: \(IncidentSort.fields.keys.sorted().joined(separator: ", ")); prefix - to reverse)"
      )
    }
    self.init(field: name, descending: descending)
  }
}

/// An event of the append-only log, as read back.
public struct Event: Sendable {
  public var seq: Int64
  public var at: Timestamp
  public var entity: String
  public var entityID: String
  public var type: String
  public var actor: String
  public var source: String
  public var data: JSONObject

  /// The event as a JSON Lines record of kind `event`.
  public var record: JSONObject {
    var o = JSONObject()
    o.add("kind", .string("event"))
    o.add("seq", .int(seq))
    o.add("at", .string(at.rfc3339))
    o.add("entity", .string(entity))
    o.add(entity == "incident" ? "incident" : "entity_id", .string(entityID))
    o.add("type", .string(type))
    o.add("actor", .string(actor))
    o.add("source", .string(source))
    o.fields.append(contentsOf: data.fields)
    return o
  }
}

/// Which events `itsm-incident events` prints.
public struct EventFilter: Sendable {
  public var afterSeq: Int64?
  public var entityID: String?
  public var since: Timestamp?
  public var limit: Int?
  public init() {}
}

/// Reads and writes incidents and their events. Every write goes through here, so that no
/// change happens without its event.
public struct IncidentStore {
  public let db: Database
  public let policy: Policy

  public init(_ db: Database, policy: Policy) {
    self.db = db
    self.policy = policy
  }

  static let columns = [
    "num", "id", "title", "service", "status", "priority", "priority_source", "matrix_priority",
    "impact", "urgency", "team", "assignee", "tier", "region", "impact_type", "users_affected",
    "detection", "dedup_key", "alert_count", "last_alert_at", "tags", "root_cause", "resolution",
    "failure_mode", "started_at", "opened_at", "acknowledged_at", "first_resolved_at",
    "resolved_at", "closed_at", "canceled_at", "reopen_count", "reassignment_count",
    "escalation_level", "updated_at", "extra",
  ]
  static let selectSQL = "SELECT \(columns.joined(separator: ", ")) FROM incidents"
  static let insertSQL =
    "INSERT INTO incidents (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
  static let updateSQL =
    "UPDATE incidents SET \(columns.dropFirst().map { "\($0) = ?" }.joined(separator: ", ")) WHERE num = ?"

  // MARK: Reading

  /// The incident with this id. A bare number `42` also finds `INC-42`.
  public func incident(id: String) throws -> Incident? {
    let statement = try db.cachedStatement(sql: IncidentStore.selectSQL + " WHERE id = ?")
    if let row = try Row.fetchOne(statement, arguments: [id]) { return try Incident(row: row) }
    if let n = Int(id), n > 0 {
      return try Row.fetchOne(statement, arguments: ["INC-\(n)"]).map { try Incident(row: $0) }
    }
    return nil
  }

  /// The incident with this id, or exit 1 naming it.
  public func require(id: String) throws -> Incident {
    guard let incident = try incident(id: id) else {
      throw ITSMError.operationFailed("no incident with id '\(id)'")
    }
    return incident
  }

  /// The open incident that holds an alert's dedup key, if any.
  public func openIncident(dedupKey: String) throws -> Incident? {
    let sql =
      IncidentStore.selectSQL
      + " WHERE dedup_key = ? AND status IN (\(Schema.openStatesSQL)) ORDER BY num DESC LIMIT 1"
    return try Row.fetchOne(db.cachedStatement(sql: sql), arguments: [dedupKey]).map { try Incident(row: $0) }
  }

  /// Calls `body` with each incident that passes the filter, in order, without loading them all.
  public func forEach(_ filter: IncidentFilter, _ body: (Incident) throws -> Void) throws {
    var clauses: [String] = []
    var arguments: [DatabaseValueConvertible?] = []
    func anyOf(_ column: String, _ values: [DatabaseValueConvertible]) {
      guard !values.isEmpty else { return }
      clauses.append("\(column) IN (\(values.map { _ in "?" }.joined(separator: ",")))")
      arguments.append(contentsOf: values as [DatabaseValueConvertible?])
    }
    if Set(filter.statuses) == Set(IncidentStatus.openStates) {
      clauses.append("status IN (\(Schema.openStatesSQL))")
    } else {
      anyOf("status", filter.statuses.map(\.rawValue))
    }
    anyOf("priority", filter.priorities.map { Int64($0.rawValue) })
    anyOf("service", filter.services)
    anyOf("team", filter.teams)
    anyOf("region", filter.regions)
    if let since = filter.since {
      clauses.append("opened_at >= ?")
      arguments.append(since.seconds)
    }
    if let until = filter.until {
      clauses.append("opened_at < ?")
      arguments.append(until.seconds)
    }
    var sql = IncidentStore.selectSQL
    if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
    let column = IncidentSort.fields[filter.sort.field] ?? "num"
    sql += " ORDER BY \(column) \(filter.sort.descending ? "DESC" : "ASC")"
    if column != "num" { sql += ", num" }
    if let limit = filter.limit {
      sql += " LIMIT ?"
      arguments.append(Int64(limit))
    }
    let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
    while let row = try rows.next() { try body(try Incident(row: row)) }
  }

  public func forEachEvent(_ filter: EventFilter, _ body: (Event) throws -> Void) throws {
    var clauses: [String] = []
    var arguments: [DatabaseValueConvertible?] = []
    if let after = filter.afterSeq {
      clauses.append("seq > ?")
      arguments.append(after)
    }
    if let id = filter.entityID {
      clauses.append("entity_id = ?")
      arguments.append(id)
    }
    if let since = filter.since {
      clauses.append("at >= ?")
      arguments.append(since.seconds)
    }
    var sql = "SELECT seq, at, entity, entity_id, type, actor, source, data FROM events"
    if !clauses.isEmpty { sql += " WHERE " + clauses.joined(separator: " AND ") }
    sql += " ORDER BY seq"
    if let limit = filter.limit {
      sql += " LIMIT ?"
      arguments.append(Int64(limit))
    }
    let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
    while let row = try rows.next() {
      let dataText: String? = row[7]
      var data = JSONObject()
      if let dataText, case .object(let o)? = try? JSONParser.parse(dataText) { data = o }
      try body(
        Event(
          seq: row[0], at: Timestamp(seconds: row[1]), entity: row[2], entityID: row[3], type: row[4],
          actor: row[5], source: row[6], data: data))
    }
  }

  // MARK: Writing

  /// A new incident id, `INC-<n>`, never one already taken (imports may have used some).
  public func nextID() throws -> String {
    var n = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'incident'") ?? 0
    repeat { n += 1 } while try Bool.fetchOne(
      db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?)"), arguments: ["INC-\(n)"]) == true
    try db.execute(
      sql: "INSERT INTO counters (name, value) VALUES ('incident', ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value",
      arguments: [n])
    return "INC-\(n)"
  }

  /// Stores a new incident and its events.
  public func insert(_ incident: inout Incident, events: [EventDraft], context: ChangeContext) throws {
    let statement = try db.cachedStatement(sql: IncidentStore.insertSQL)
    var values = incident.databaseValues()
    values[0] = nil
    try statement.execute(arguments: StatementArguments(values))
    incident.rowID = db.lastInsertedRowID
    try append(events, to: incident.id, context: context)
  }

  /// Stores a changed incident and the events that record the change.
  public func update(_ incident: Incident, events: [EventDraft], context: ChangeContext) throws {
    let statement = try db.cachedStatement(sql: IncidentStore.updateSQL)
    var values = Array(incident.databaseValues().dropFirst())
    values.append(incident.rowID)
    try statement.execute(arguments: StatementArguments(values))
    try append(events, to: incident.id, context: context)
  }

  /// Appends events for an incident to the log.
  public func append(_ events: [EventDraft], to id: String, context: ChangeContext) throws {
    guard !events.isEmpty else { return }
    let statement = try db.cachedStatement(
      sql: "INSERT INTO events (at, entity, entity_id, type, actor, source, data) VALUES (?, 'incident', ?, ?, ?, ?, ?)")
    for event in events {
      let data = event.data.isEmpty ? nil : JSONSerializer.string(event.data)
      try statement.execute(arguments: [event.at.seconds, id, event.type, context.actor, context.source, data])
    }
  }

  /// Applies a lifecycle action to the incident with this id, in the caller's transaction.
  public func perform(
    _ action: IncidentAction, on id: String, at now: Timestamp, context: ChangeContext
  ) throws -> LifecycleOutcome {
    let incident = try require(id: id)
    let outcome = try IncidentLifecycle.apply(action, to: incident, at: now, policy: policy)
    if !outcome.events.isEmpty { try update(outcome.incident, events: outcome.events, context: context) }
    return outcome
  }
}

extension Incident {
  /// The values for `IncidentStore.columns`, in order.
  func databaseValues() -> [DatabaseValueConvertible?] {
    let tagsText: String? =
      tags.isEmpty
      ? nil
      : JSONSerializer.string(
        .object(JSONObject(tags.sorted { $0.key < $1.key }.map { JSONField($0.key, .string($0.value)) })))
    return [
      rowID, id, title, service, status.rawValue, Int64(priority.rawValue), prioritySource.rawValue,
      matrixPriority.map { Int64($0.rawValue) }, impact.map { Int64($0) }, urgency.map { Int64($0) }, team,
      assignee, tier?.rawValue, region, impactType?.rawValue, usersAffected.map { Int64($0) },
      detection?.rawValue, dedupKey, Int64(alertCount), lastAlertAt?.seconds, tagsText, rootCause,
      resolution, failureMode, startedAt?.seconds, openedAt.seconds, acknowledgedAt?.seconds,
      firstResolvedAt?.seconds, resolvedAt?.seconds, closedAt?.seconds, canceledAt?.seconds,
      Int64(reopenCount), Int64(reassignmentCount), Int64(escalationLevel), updatedAt.seconds,
      extra.isEmpty ? nil : JSONSerializer.string(extra),
    ]
  }

  /// Reads a row selected with `IncidentStore.columns`.
  init(row: Row) throws {
    func time(_ i: Int) -> Timestamp? { (row[i] as Int64?).map(Timestamp.init(seconds:)) }
    func corrupt(_ what: String) -> ITSMError { .configuration("incident row \(row[1] as String? ?? "?"): invalid \(what)") }
    guard let status = IncidentStatus(rawValue: row[4]) else { throw corrupt("status") }
    guard let priority = Priority(rawValue: row[5]) else { throw corrupt("priority") }
    guard let source = PrioritySource(rawValue: row[6]) else { throw corrupt("priority_source") }
    self.init(
      id: row[1], title: row[2], service: row[3], priority: priority, prioritySource: source,
      openedAt: Timestamp(seconds: row[25]))
    rowID = row[0]
    self.status = status
    matrixPriority = (row[7] as Int?).flatMap(Priority.init(rawValue:))
    impact = row[8]
    urgency = row[9]
    team = row[10]
    assignee = row[11]
    tier = (row[12] as String?).flatMap(SupportTier.init(rawValue:))
    region = row[13]
    impactType = (row[14] as String?).flatMap(ImpactType.init(rawValue:))
    usersAffected = row[15]
    detection = (row[16] as String?).flatMap(DetectionSource.init(rawValue:))
    dedupKey = row[17]
    alertCount = row[18]
    lastAlertAt = time(19)
    if let text = row[20] as String?, case .object(let o)? = try? JSONParser.parse(text) {
      for field in o.fields { if case .string(let s) = field.value { tags[field.key] = s } }
    }
    rootCause = row[21]
    resolution = row[22]
    failureMode = row[23]
    startedAt = time(24)
    acknowledgedAt = time(26)
    firstResolvedAt = time(27)
    resolvedAt = time(28)
    closedAt = time(29)
    canceledAt = time(30)
    reopenCount = row[31]
    reassignmentCount = row[32]
    escalationLevel = row[33]
    updatedAt = Timestamp(seconds: row[34])
    if let text = row[35] as String?, case .object(let o)? = try? JSONParser.parse(text) { extra = o }
  }
}
