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

  /// Accepts `field`, `field:asc`, `field:desc`, or `-field` (as `--sort=-field`).
  public init(parsing text: String) throws {
    var name = text
    var descending = false
    if name.hasPrefix("-") {
      descending = true
      name.removeFirst()
    } else if name.hasSuffix(":desc") {
      descending = true
      name.removeLast(5)
    } else if name.hasSuffix(":asc") {
      name.removeLast(4)
    }
    guard IncidentSort.fields[name] != nil else {
      throw ITSMError.usage(
        "unknown sort field '\(name)' (expected one of: \(IncidentSort.fields.keys.sorted().joined(separator: ", ")), with :desc to reverse)"
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
  /// Only the events of this incident.
  public var incident: Incident?
  /// Only the events of this entity (kind and row number), such as a failure mode.
  public var entity: (String, Int64)?
  public var since: Timestamp?
  public var limit: Int?
  public init() {}
}

/// Reads and writes incidents and their events. Every write goes through here, so that no
/// change happens without its event.
public struct IncidentStore {
  public let db: Database
  public let policy: Policy
  private let statements = PreparedStatements()

  public init(_ db: Database, policy: Policy) {
    self.db = db
    self.policy = policy
  }

  /// The prepared statement for `key`, made once per store (`PreparedStatements.get`).
  private func prepared(_ key: String, _ sql: @autoclosure () -> String) throws -> Statement {
    try statements.get(key, in: db, sql())
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
    if let found = try fetchOne("byId", IncidentStore.selectSQL + " WHERE id = ?", id) { return found }
    if let n = Int(id), n > 0 { return try fetchOne("byId", IncidentStore.selectSQL + " WHERE id = ?", "INC-\(n)") }
    return nil
  }

  private func fetchOne(_ key: String, _ sql: @autoclosure () -> String, _ argument: String) throws -> Incident? {
    var statement = RawStatement(try prepared(key, sql()))
    statement.bind(argument)
    var found: Incident?
    try statement.forEachRow { found = try Incident(columns: $0) }
    return found
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
      + " WHERE dedup_key = ? AND \(Schema.openCondition) ORDER BY num DESC LIMIT 1"
    return try fetchOne("byDedupKey", sql, dedupKey)
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
      clauses.append(Schema.openCondition)
    } else {
      anyOf("status", filter.statuses.map(\.rawValue))
      // Open statuses only: the partial index of open incidents serves, if the query says so.
      if !filter.statuses.isEmpty && filter.statuses.allSatisfy(\.isOpen) { clauses.append(Schema.openCondition) }
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
    let statement = try db.makeStatement(sql: sql)
    statement.arguments = StatementArguments(arguments)
    try RawStatement(boundStatement: statement).forEachRow { try body(try Incident(columns: $0)) }
  }

  /// The facts the reports need, for incidents opened in [since, until) or, when
  /// `resolvedSince` is given, first resolved in [resolvedSince, until) or still open, read
  /// with a narrow query (no full incident records), in no particular order.
  /// With `firstHumanAction`, also the first action a person took after opening, from the log.
  /// With `database` (the file behind `db`) and a window over most of a large table, the
  /// rows are read and decoded on two connections at once while `body` runs here; the
  /// calculators do not depend on the order.
  public func forEachFacts(
    since: Timestamp?, resolvedSince: Timestamp?, until: Timestamp?, firstHumanAction: Bool,
    database: AppDatabase? = nil, environment: [String: String] = [:], splitOver rowsPerPart: Int = 200_000,
    _ body: (IncidentFacts) throws -> Void
  ) throws {
    let query = FactsQuery(since: since, resolvedSince: resolvedSince, until: until, firstHumanAction: firstHumanAction)
    let policy = self.policy
    if let database, let (split, parts) = try halves(of: query, over: rowsPerPart) {
      let done = try database.scanInParallel(
        parts: parts.count, environment: environment,
        produce: { part, db, send in try split.forEachFacts(db, rows: parts[part], policy: policy, send) },
        consume: body)
      if done { return }
    }
    try query.forEachFacts(db, rows: nil, policy: policy, body)
  }

  /// Like `forEachFacts`, but for a calculator that can be split: with `database` and a
  /// large table, each of two connections feeds a calculator of its own on its own thread
  /// (nothing is handed between threads per incident), and the two are merged at the end.
  public func reduceFacts<Reducer: FactsReducer>(
    since: Timestamp?, resolvedSince: Timestamp?, until: Timestamp?, firstHumanAction: Bool,
    database: AppDatabase? = nil, environment: [String: String] = [:], splitOver rowsPerPart: Int = 200_000,
    _ make: @escaping @Sendable () -> Reducer
  ) throws -> Reducer {
    let needs = make().needs
    var query = FactsQuery(since: since, resolvedSince: resolvedSince, until: until, firstHumanAction: firstHumanAction)
    query.needs = needs
    let policy = self.policy
    if let database, let (split, parts) = try halves(of: query, over: rowsPerPart) {
      if var partials = try database.readInParallel(
        parts: parts.count, environment: environment,
        { part, db in
          var reducer = make()
          try split.forEachFacts(db, rows: parts[part], policy: policy) { reducer.add($0) }
          return reducer
        })
      {
        var total = partials.removeFirst()
        for partial in partials { total.merge(partial) }
        return total
      }
    }
    var reducer = make()
    try query.forEachFacts(db, rows: nil, policy: policy) { reducer.add($0) }
    return reducer
  }

  /// For a table of more than `rowsPerPart` rows: the query for parts of it, and its two
  /// halves by row number. A window over most of the table reads each half itself; a short
  /// one goes through the indexes in both parts, each keeping the rows of its half.
  private func halves(of query: FactsQuery, over rowsPerPart: Int) throws -> (FactsQuery, [ClosedRange<Int64>])? {
    guard let rows = try FactsQuery.rowRange(db), rows.count > rowsPerPart else { return nil }
    var split = query
    split.byRowRange = try query.coversMostOf(rows, db)
    let half = rows.lowerBound + Int64(rows.count / 2)
    return (split, [rows.lowerBound...half - 1, half...rows.upperBound])
  }

  /// One row of the facts query as facts; nil for a priority out of range.
  static func facts(_ c: ColumnReader, _ counts: EscalationCounts?, policy: Policy, causes: CauseKeyCache)
    -> IncidentFacts?
  {
    // priority, opened_at, reopen_count and escalation_level are NOT NULL.
    guard let priority = Priority(rawValue: Int(c.int(notNull: 0))) else { return nil }
    let opened = Timestamp(seconds: c.int(notNull: 5))
    var facts = IncidentFacts(priority: priority, service: c.string(1) ?? "", openedAt: opened)
    facts.team = c.string(2)
    facts.region = c.string(3)
    facts.tier = c.choice(4, SupportTier.columnChoices)
    facts.startedAt = c.time(6)
    facts.acknowledgedAt = c.time(7)
    facts.firstResolvedAt = c.time(8)
    facts.reopenCount = Int(c.int(notNull: 9))
    // Normalized in Swift, as for records on stdin (SQLite's lower() knows only ASCII).
    if let bytes = c.bytes(10), let (key, origin) = causes.key(bytes) {
      facts.causeKey = key
      facts.causeOrigin = origin
    }
    let users = c.int(11).map { Int($0) }
    facts.usersAffected = users
    if let users, let resolved = c.time(12) {
      let loss = Incident.productivityLoss(users: users, from: facts.startedAt ?? opened, to: resolved)
      facts.productivityLossMinutes = loss
      facts.financialImpact = policy.cost(ofLostMinutes: loss, service: facts.service)
    }
    facts.firstHumanActionAt = c.time(13)
    facts.status = c.choice(14, IncidentStatus.columnChoices)
    facts.id = c.string(19)
    facts.impactType = c.choice(20, ImpactType.columnChoices)
    if let counts {
      facts.escalationSplitKnown = true
      facts.escalatedByTimeout = counts.timeouts > 0
      facts.escalatedByHand = counts.manual > 0
      facts.heldSeconds = counts.heldSeconds
      facts.heldSince = counts.heldSince
    } else {
      facts.escalatedOtherwise = c.int(notNull: 15) >= 2
    }
    return facts
  }

  /// The impact of every incident that may touch [since, until): not canceled, opened before
  /// `until`, and not resolved before `since`.
  public func forEachImpactInterval(since: Timestamp, until: Timestamp, _ body: (ImpactInterval) throws -> Void) throws
  {
    let sql = """
      SELECT service, impact, tags, coalesce(started_at, opened_at), status, coalesce(first_resolved_at, closed_at)
      FROM incidents
      WHERE status <> 'canceled' AND opened_at < ? AND (first_resolved_at IS NULL OR first_resolved_at >= ?)
      """
    var statement = RawStatement(try db.makeStatement(sql: sql))
    statement.bind(until.seconds)
    statement.bind(since.seconds)
    try statement.forEachRow { c in
      guard let service = c.string(0), let start = c.time(3) else { return }
      var tags: [String: String] = [:]
      if let text = c.string(2), text.contains("outage"), case .object(let o)? = try? JSONParser.parse(text) {
        for field in o.fields { if case .string(let s) = field.value { tags[field.key] = s } }
      }
      let open = c.string(4).flatMap(IncidentStatus.init(rawValue:))?.isOpen ?? false
      try body(
        ImpactInterval(
          service: service, start: start, end: c.time(5) ?? (open ? nil : start),
          level: OutageLevel.of(tags: tags, impact: c.int(1).map { Int($0) })))
    }
  }

  public func forEachEvent(_ filter: EventFilter, _ body: (Event) throws -> Void) throws {
    var clauses: [String] = []
    var arguments: [DatabaseValueConvertible?] = []
    if let after = filter.afterSeq {
      clauses.append("seq > ?")
      arguments.append(after)
    }
    if let incident = filter.incident {
      clauses.append("entity = 'incident' AND entity_num = ?")
      arguments.append(incident.rowID)
    }
    if let (entity, num) = filter.entity {
      clauses.append("entity = ? AND entity_num = ?")
      arguments.append(entity)
      arguments.append(num)
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
    repeat {
      n += 1
    } while try Bool.fetchOne(
      db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM incidents WHERE id = ?)"), arguments: ["INC-\(n)"]) == true
    try advanceCounter(to: n)
    return "INC-\(n)"
  }

  /// Moves the id counter forward to at least `n`, so the next id is past imported ones.
  public func advanceCounter(to n: Int64) throws {
    try db.execute(
      sql:
        "INSERT INTO counters (name, value) VALUES ('incident', ?) ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)",
      arguments: [n])
  }

  /// Stores an incident and its events unless one with its id exists; true when stored.
  /// For bulk imports: a new record costs one statement, not a lookup and an insert.
  public func insertIfNew(_ incident: inout Incident, events: [EventDraft], context: ChangeContext) throws -> Bool {
    guard try insertIfNew(&incident) else { return false }
    try append(events, to: incident, context: context)
    return true
  }

  /// Stores an incident, without events, unless one with its id exists; true when stored.
  func insertIfNew(_ incident: inout Incident) throws -> Bool {
    var statement = RawStatement(try prepared("insertIfNew", IncidentStore.insertSQL + " ON CONFLICT(id) DO NOTHING"))
    statement.bind(nil as Int64?)
    incident.bindColumns(to: &statement)
    try statement.execute()
    guard db.changesCount > 0 else { return false }
    incident.rowID = db.lastInsertedRowID
    return true
  }

  /// Writes buffered events about incidents.
  func write(_ events: inout EventRows, context: ChangeContext) throws {
    try events.flush(context: context) { try prepared("incidentEvents\($0)", EventLog.insertSQL(entities: $0)) }
  }

  /// The row number the next new incident will get.
  public func nextRowID() throws -> Int64 {
    try Int64.fetchOne(db, sql: "SELECT coalesce(max(num), 0) + 1 FROM incidents") ?? 1
  }

  /// Stores a new incident and its events; its id must be free.
  public func insert(_ incident: inout Incident, events: [EventDraft], context: ChangeContext) throws {
    guard try insertIfNew(&incident, events: events, context: context) else {
      throw ITSMError.operationFailed("an incident with id '\(incident.id)' already exists")
    }
  }

  /// Stores a changed incident and the events that record the change.
  public func update(_ incident: Incident, events: [EventDraft], context: ChangeContext) throws {
    var statement = RawStatement(try prepared("update", IncidentStore.updateSQL))
    incident.bindColumns(to: &statement)
    statement.bind(incident.rowID)
    try statement.execute()
    try append(events, to: incident, context: context)
  }

  /// Appends events for an incident to the log, in one statement.
  public func append(_ events: [EventDraft], to incident: Incident, context: ChangeContext) throws {
    guard !events.isEmpty else { return }
    try EventLog.append(
      events, entity: "incident", id: incident.id, num: incident.rowID, context: context,
      statement: prepared("events\(events.count)", EventLog.insertSQL(count: events.count)))
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

/// Statements prepared by one store, by name.
final class PreparedStatements {
  private var byKey: [String: Statement] = [:]

  /// The statement for `key`, prepared from `sql` the first time: hashing a long SQL text on
  /// every row (GRDB's cachedStatement) costs more than the row itself on bulk paths.
  func get(_ key: String, in db: Database, _ sql: @autoclosure () -> String) throws -> Statement {
    if let statement = byKey[key] { return statement }
    let statement = try db.makeStatement(sql: sql())
    byKey[key] = statement
    return statement
  }
}

extension Incident {
  /// Binds the values for `IncidentStore.columns` after `num`, in order.
  func bindColumns(to s: inout RawStatement) {
    s.bind(id)
    s.bind(title)
    s.bind(service)
    s.bind(status.rawValue)
    s.bind(priority.rawValue)
    s.bind(prioritySource.rawValue)
    s.bind(matrixPriority?.rawValue)
    s.bind(impact)
    s.bind(urgency)
    s.bind(team)
    s.bind(assignee)
    s.bind(tier?.rawValue)
    s.bind(region)
    s.bind(impactType?.rawValue)
    s.bind(usersAffected)
    s.bind(detection?.rawValue)
    s.bind(dedupKey)
    s.bind(alertCount)
    s.bind(lastAlertAt?.seconds)
    s.bind(
      json: tags.isEmpty
        ? nil : JSONObject(tags.sorted { $0.key < $1.key }.map { JSONField($0.key, .string($0.value)) }))
    s.bind(rootCause)
    s.bind(resolution)
    s.bind(failureMode)
    s.bind(startedAt?.seconds)
    s.bind(openedAt.seconds)
    s.bind(acknowledgedAt?.seconds)
    s.bind(firstResolvedAt?.seconds)
    s.bind(resolvedAt?.seconds)
    s.bind(closedAt?.seconds)
    s.bind(canceledAt?.seconds)
    s.bind(reopenCount)
    s.bind(reassignmentCount)
    s.bind(escalationLevel)
    s.bind(updatedAt.seconds)
    s.bind(json: extra)
  }

  /// Reads a row selected with `IncidentStore.columns`.
  init(columns c: ColumnReader) throws {
    let id = c.string(1) ?? "?"
    func corrupt(_ what: String) -> ITSMError {
      .configuration("incident \(id) in the database has an invalid \(what)")
    }
    guard let status = c.string(4).flatMap(IncidentStatus.init(rawValue:)) else { throw corrupt("status") }
    guard let priority = c.int(5).flatMap({ Priority(rawValue: Int($0)) }) else { throw corrupt("priority") }
    guard let source = c.string(6).flatMap(PrioritySource.init(rawValue:)) else { throw corrupt("priority_source") }
    self.init(
      id: id, title: c.string(2) ?? "", service: c.string(3) ?? "", priority: priority, prioritySource: source,
      openedAt: c.time(25) ?? Timestamp(seconds: 0))
    rowID = c.int(0)
    self.status = status
    matrixPriority = c.int(7).flatMap { Priority(rawValue: Int($0)) }
    impact = c.int(8).map { Int($0) }
    urgency = c.int(9).map { Int($0) }
    team = c.string(10)
    assignee = c.string(11)
    tier = c.string(12).flatMap(SupportTier.init(rawValue:))
    region = c.string(13)
    impactType = c.string(14).flatMap(ImpactType.init(rawValue:))
    usersAffected = c.int(15).map { Int($0) }
    detection = c.string(16).flatMap(DetectionSource.init(rawValue:))
    dedupKey = c.string(17)
    alertCount = Int(c.int(18) ?? 0)
    lastAlertAt = c.time(19)
    if let text = c.string(20), case .object(let o)? = try? JSONParser.parse(text) {
      for field in o.fields { if case .string(let s) = field.value { tags[field.key] = s } }
    }
    rootCause = c.string(21)
    resolution = c.string(22)
    failureMode = c.string(23)
    startedAt = c.time(24)
    acknowledgedAt = c.time(26)
    firstResolvedAt = c.time(27)
    resolvedAt = c.time(28)
    closedAt = c.time(29)
    canceledAt = c.time(30)
    reopenCount = Int(c.int(31) ?? 0)
    reassignmentCount = Int(c.int(32) ?? 0)
    escalationLevel = Int(c.int(33) ?? 0)
    updatedAt = c.time(34) ?? openedAt
    if let text = c.string(35), case .object(let o)? = try? JSONParser.parse(text) { extra = o }
  }
}

/// The narrow query of `IncidentStore.forEachFacts`, optionally over a range of row numbers.
struct FactsQuery: Sendable {
  let since: Timestamp?
  let resolvedSince: Timestamp?
  let until: Timestamp?
  let firstHumanAction: Bool
  /// With a range of rows: read the range itself (true), or filter what the indexes find.
  var byRowRange = true
  /// The facts to read; the others are NULL (SQLite then need not decode them).
  var needs = FactsNeeds.all

  init(since: Timestamp?, resolvedSince: Timestamp?, until: Timestamp?, firstHumanAction: Bool, byRowRange: Bool = true)
  {
    self.since = since
    self.resolvedSince = resolvedSince
    self.until = until
    self.firstHumanAction = firstHumanAction
    self.byRowRange = byRowRange
  }

  /// Whether the window holds most of the table: then two halves of the table by row number
  /// read faster than the indexes.
  func coversMostOf(_ rows: ClosedRange<Int64>, _ db: Database) throws -> Bool {
    guard since != nil || until != nil else { return true }
    let inWindow =
      try Int64.fetchOne(
        db, sql: "SELECT count(*) FROM incidents WHERE opened_at >= ? AND opened_at < ?",
        arguments: [since?.seconds ?? Int64.min, until?.seconds ?? Int64.max]) ?? 0
    return inWindow * 2 > Int64(rows.count)
  }

  /// The row numbers of the incidents table; nil when it is empty.
  static func rowRange(_ db: Database) throws -> ClosedRange<Int64>? {
    // Two subqueries: SQLite seeks for a lone min() or max(), but reads a whole index for both.
    let row = try Row.fetchOne(db, sql: "SELECT (SELECT min(num) FROM incidents), (SELECT max(num) FROM incidents)")
    guard let low: Int64 = row?[0], let high: Int64 = row?[1] else { return nil }
    return low...high
  }

  /// Incidents resolved in the window but opened before it are needed only when the window
  /// has a start; without one, every incident resolved before `until` was opened before it.
  var needsResolved: Bool { since != nil && resolvedSince != nil }

  /// The statement over `rows` (all rows when nil), and whether it is read beside
  /// `FactsQuery.statesSQL` (a merge) rather than joined to the escalation states.
  func sql(rows: ClosedRange<Int64>?) -> (sql: String, merges: Bool) {
    let human =
      firstHumanAction
      ? "(SELECT min(at) FROM events e WHERE e.entity_num = i.num AND e.entity = 'incident' AND e.source = 'cli' AND e.type <> 'opened')"
      : "NULL"
    // The OR of two ranges uses both indexes (opened_at, first_resolved_at); the calculators
    // need no order (only the merge orders by row number, which a range read gives).
    var condition =
      needsResolved
      // Open incidents too, however old: their clocks may stop or breach in the window.
      ? "(opened_at >= ? AND opened_at < ?) OR (first_resolved_at >= ? AND first_resolved_at < ?) OR \(Schema.openCondition)"
      : "opened_at >= ? AND opened_at < ?"
    if rows != nil { condition = "\(byRowRange ? "" : "+")i.num BETWEEN ? AND ? AND (\(condition))" }
    // A range of the table read in row order takes the escalation counts from a second
    // statement over the same range in the same order (a merge), rather than a lookup per
    // incident; other reads join.
    let merges = rows != nil && byRowRange
    func column(_ name: String, _ need: FactsNeeds) -> String { needs.contains(need) ? name : "NULL" }
    func state(_ name: String, _ need: FactsNeeds? = nil) -> String {
      merges ? "NULL" : need.map { column(name, $0) } ?? name
    }
    let sql = """
      SELECT priority, service, \(column("team", .team)), \(column("region", .region)), tier, opened_at, started_at,
        acknowledged_at, first_resolved_at, reopen_count, \(column("root_cause", .cause)), users_affected, resolved_at,
        \(human), \(column("status", .status)), escalation_level, \(state("s.escalations_timeout")),
        \(state("s.escalations_manual")), \(state("s.held_seconds", .hold)), \(column("i.id", .id)),
        \(column("impact_type", .impactType)), \(state("s.held_since", .hold)), i.num
      FROM incidents i \(merges ? "" : "LEFT JOIN escalation_state s ON s.incident_num = i.num")
      WHERE \(condition)\(merges ? " ORDER BY i.num" : "")
      """
    return (sql, merges)
  }

  /// itsm-escalate's counts over a range of incidents' row numbers, in row order: merged with
  /// the facts of the same range.
  static let statesSQL = """
    SELECT incident_num, escalations_timeout, escalations_manual, held_seconds, held_since
    FROM escalation_state WHERE incident_num BETWEEN ? AND ? ORDER BY incident_num
    """

  /// Runs the query and hands `body` each row as facts (a row whose priority is out of range
  /// is passed over), with a cache of root causes of this read's own.
  func forEachFacts(
    _ db: Database, rows: ClosedRange<Int64>?, policy: Policy, _ body: (IncidentFacts) throws -> Void
  ) throws {
    let causes = CauseKeyCache()
    try run(db, rows: rows) { c, counts in
      if let facts = IncidentStore.facts(c, counts, policy: policy, causes: causes) { try body(facts) }
    }
  }

  /// Runs the query: `body` gets each row and the incident's escalation counts, if
  /// itsm-escalate keeps any.
  func run(_ db: Database, rows: ClosedRange<Int64>?, _ body: (ColumnReader, EscalationCounts?) throws -> Void)
    throws
  {
    let (sql, merges) = sql(rows: rows)
    var statement = RawStatement(try db.makeStatement(sql: sql))
    if let rows {
      statement.bind(rows.lowerBound)
      statement.bind(rows.upperBound)
    }
    statement.bind(since?.seconds ?? Int64.min)
    statement.bind(until?.seconds ?? Int64.max)
    if needsResolved {
      statement.bind(resolvedSince?.seconds ?? Int64.min)
      statement.bind(until?.seconds ?? Int64.max)
    }
    guard merges, let rows else {
      try statement.forEachRow { c in
        let counts = c.int(16).map {
          EscalationCounts(timeouts: $0, manual: c.int(17) ?? 0, heldSeconds: c.int(18) ?? 0, heldSince: c.time(21))
        }
        try body(c, counts)
      }
      return
    }
    var states = RawStatement(try db.makeStatement(sql: FactsQuery.statesSQL))
    states.bind(rows.lowerBound)
    states.bind(rows.upperBound)
    var cursor = MergeCursor(states)
    // Holds only when asked for, as the joined columns give them.
    let holds = needs.contains(.hold)
    try statement.forEachRow { c in
      let counts = try cursor.find(c.int(notNull: 22)).map { s in
        EscalationCounts(
          timeouts: s.int(notNull: 1), manual: s.int(notNull: 2), heldSeconds: holds ? s.int(notNull: 3) : 0,
          heldSince: holds ? s.time(4) : nil)
      }
      try body(c, counts)
    }
  }
}

/// What itsm-escalate counted of an incident's escalations and holds.
struct EscalationCounts {
  var timeouts: Int64
  var manual: Int64
  var heldSeconds: Int64
  var heldSince: Timestamp?
}
