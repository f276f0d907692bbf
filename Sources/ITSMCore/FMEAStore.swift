import Foundation
import GRDB

/// The failure mode register in the database. Every change appends events (entity
/// `failure_mode`) in the caller's transaction.
public struct FMEAStore {
  public let db: Database
  /// The file behind `db`, for scans split between the cores (nil: scan on `db` alone).
  public let database: AppDatabase?
  public static let entity = "failure_mode"

  public init(_ db: Database, database: AppDatabase? = nil) {
    self.db = db
    self.database = database
  }

  static let columns = """
    num, id, service, component, function, failure_mode, effect, cause, prevention, detection_controls,
    severity, occurrence, detection, rpn, action_priority, owner, status, actions, alerting, alerts_raised,
    created_at, updated_at, extra
    """

  /// Written once: `derive --apply` and `alert` update thousands of modes in one transaction.
  static let insertSQL =
    "INSERT INTO failure_modes (\(columns)) VALUES (" + Array(repeating: "?", count: 23).joined(separator: ", ") + ")"
  static let updateSQL =
    "UPDATE failure_modes SET "
    + columns.split(separator: ",").dropFirst().map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)) = ?" }
    .joined(separator: ", ") + " WHERE num = ?"

  public func find(id: String) throws -> FailureMode? {
    try Row.fetchOne(
      db.cachedStatement(sql: "SELECT \(FMEAStore.columns) FROM failure_modes WHERE id = ?"), arguments: [id]
    ).map(FMEAStore.mode)
  }

  /// The mode with this id; an unknown id fails (exit 1).
  public func require(id: String) throws -> FailureMode {
    guard let mode = try find(id: id) else { throw ITSMError.operationFailed("no failure mode with id '\(id)'") }
    return mode
  }

  /// Every mode, optionally of one service, in the order they were registered.
  public func all(service: String? = nil) throws -> [FailureMode] {
    var sql = "SELECT \(FMEAStore.columns) FROM failure_modes"
    var arguments: StatementArguments = []
    if let service {
      sql += " WHERE service = ?"
      arguments = [service]
    }
    return try Row.fetchAll(db, sql: sql + " ORDER BY num", arguments: arguments).map(FMEAStore.mode)
  }

  public func count() throws -> Int { try Int.fetchOne(db, sql: "SELECT count(*) FROM failure_modes") ?? 0 }

  /// A new id, `FM-<n>`, never one already taken (imports may have used some).
  public func nextID() throws -> String {
    var n = try Int64.fetchOne(db, sql: "SELECT value FROM counters WHERE name = 'failure_mode'") ?? 0
    repeat {
      n += 1
    } while try find(id: "FM-\(n)") != nil
    try db.execute(
      sql: """
        INSERT INTO counters (name, value) VALUES ('failure_mode', ?)
        ON CONFLICT(name) DO UPDATE SET value = max(value, excluded.value)
        """,
      arguments: [n])
    return "FM-\(n)"
  }

  /// Stores a new mode and its events.
  public func insert(_ mode: inout FailureMode, events: [EventDraft], context: ChangeContext) throws {
    try db.cachedStatement(sql: FMEAStore.insertSQL).execute(arguments: StatementArguments(FMEAStore.values(mode)))
    mode.rowID = db.lastInsertedRowID
    try EventLog.append(events, entity: FMEAStore.entity, id: mode.id, num: mode.rowID, context: context, in: db)
  }

  /// Writes a changed mode back and appends its events.
  public func update(_ mode: FailureMode, events: [EventDraft], context: ChangeContext) throws {
    let values = Array(FMEAStore.values(mode).dropFirst()) + [mode.rowID]
    try db.cachedStatement(sql: FMEAStore.updateSQL).execute(arguments: StatementArguments(values))
    try EventLog.append(events, entity: FMEAStore.entity, id: mode.id, num: mode.rowID, context: context, in: db)
  }

  /// The mode's events in order: its scorings and every other change.
  public func events(of mode: FailureMode) throws -> [Event] {
    var filter = EventFilter()
    filter.entity = (FMEAStore.entity, mode.rowID ?? 0)
    var events: [Event] = []
    try IncidentStore(db, policy: Policy()).forEachEvent(filter) { events.append($0) }
    return events
  }

  private static func values(_ m: FailureMode) -> [DatabaseValueConvertible?] {
    let actions: String? =
      m.actions.isEmpty ? nil : JSONSerializer.string(.array(m.actions.map { .object($0.object) }))
    return [
      m.rowID, m.id, m.service, m.component, m.function, m.failureMode, m.effect, m.cause, m.prevention,
      m.detectionControls, m.scores.severity, m.scores.occurrence, m.scores.detection, m.scores.rpn,
      m.scores.actionPriority.rawValue, m.owner, m.status.rawValue,
      actions, m.alerting, m.alertsRaised, m.createdAt.seconds, m.updatedAt.seconds,
      m.extra.isEmpty ? nil : JSONSerializer.string(m.extra),
    ]
  }

  private static func mode(_ row: Row) -> FailureMode {
    var m = FailureMode(
      id: row[1], service: row[2], component: row[3], failureMode: row[5], effect: row[6], cause: row[7],
      scores: FMEAScores(severity: row[10], occurrence: row[11], detection: row[12]),
      at: Timestamp(seconds: row[20]))
    m.rowID = row[0]
    m.function = row[4]
    m.prevention = row[8]
    m.detectionControls = row[9]
    m.owner = row[15]
    m.status = FailureModeStatus(rawValue: row[16]) ?? .open
    if let text: String = row[17], case .array(let items)? = try? JSONParser.parse(text) {
      m.actions = items.compactMap(RecommendedAction.init(json:))
    }
    m.alerting = row[18]
    m.alertsRaised = row[19]
    m.updatedAt = Timestamp(seconds: row[21])
    if let text: String = row[22], case .object(let o)? = try? JSONParser.parse(text) { m.extra = o }
    return m
  }
}

extension RecommendedAction {
  /// Reads an action back from its stored or imported JSON; nil when it is not one.
  init?(json: JSONValue) {
    guard case .object(let o) = json, case .string(let text)? = o["text"] else { return nil }
    var number = 0
    if case .int(let n)? = o["action"] { number = Int(n) }
    func time(_ key: String) -> Timestamp? {
      if case .string(let s)? = o[key] { return TimestampParser.parseAbsolute(s) }
      return nil
    }
    var owner: String?
    if case .string(let s)? = o["owner"] { owner = s }
    self.init(number: number, text: text, owner: owner, due: time("due"), doneAt: time("done_at"))
  }
}

extension FMEAEvaluation {
  /// A `scored` event of a mode's timeline as a record of kind `fmea.evaluation`, with how
  /// many of the mode's actions were done by then (scores before and after an action).
  public static func record(of event: Event, mode: FailureMode, actionsDone: Int) -> JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.evaluation")), JSONField("id", .string(mode.id))])
    o.add("at", .string(event.at.rfc3339))
    o.add("actor", .string(event.actor))
    o.add("source", .string(event.source))
    o.add("actions_done", .int(Int64(actionsDone)))
    o.fields.append(contentsOf: event.data.fields)
    return o
  }
}
