import Foundation
import GRDB

/// What a tick did.
public struct TickResult: Sendable {
  /// How many notifications it queued, and where they are in the outbox (by row number):
  /// read them with `Outbox.forEach(queuedIn:)`, so that a tick that pages thousands of
  /// incidents does not hold them all in memory.
  public var queued = 0
  public var queuedRows: ClosedRange<Int64>?
  public var events = 0
  public var evaluated = 0
  /// Incidents whose SLA clock is past its target and still running.
  public var breachedNow = 0
}

/// Escalation state, pinned policy versions and the notification outbox in the database.
/// Every method runs inside the caller's transaction.
public final class EscalationStore {
  public let db: Database
  public let policy: Policy
  public let context: ChangeContext
  private var engines: [Int64: (version: String, engine: EscalationEngine)] = [:]
  private var pinnedCache: (version: String, text: String)?
  private let statements = PreparedStatements()

  private func pinnedText() throws -> (version: String, text: String) {
    if let pinnedCache { return pinnedCache }
    pinnedCache = try policy.escalation.pinned()
    return pinnedCache!
  }
  /// A read-only store never records a policy version: the current one stands as #0.
  private let readOnly: Bool

  public init(_ db: Database, policy: Policy, context: ChangeContext, readOnly: Bool = false) {
    self.db = db
    self.policy = policy
    self.context = context
    self.readOnly = readOnly
  }

  // MARK: Policy versions

  /// The row of the policy file's escalation rules in `policy_versions`, added on first use.
  public func pinCurrent(now: Timestamp) throws -> (num: Int64, version: String) {
    // Looked up each time, not cached: a store may outlive a rolled-back transaction (an
    // alert feed's dry run), and with it the row it inserted.
    let (version, text) = try pinnedText()
    let num: Int64
    let find = try db.cachedStatement(sql: "SELECT num FROM policy_versions WHERE version = ?")
    if let found = try Int64.fetchOne(find, arguments: [version]) {
      num = found
    } else if readOnly {
      num = 0
    } else {
      try db.execute(
        sql: "INSERT INTO policy_versions (version, body, first_used_at) VALUES (?, ?, ?)",
        arguments: [version, text, now.seconds])
      num = db.lastInsertedRowID
    }
    if engines[num]?.version != version {
      engines[num] = (version, EscalationEngine(rules: policy.escalation, services: policy.services))
    }
    return (num, version)
  }

  /// The engine for a pinned version: the rules as they were, the service catalog as it is.
  public func engine(versionNum: Int64) throws -> (version: String, engine: EscalationEngine) {
    if let cached = engines[versionNum] { return cached }
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT version, body FROM policy_versions WHERE num = ?", arguments: [versionNum])
    else { throw ITSMError.io("the database refers to policy version #\(versionNum), which it does not hold") }
    let version: String = row[0]
    let rules = try EscalationRules.unpinned(version: version, text: row[1])
    let entry = (version, EscalationEngine(rules: rules, services: policy.services))
    engines[versionNum] = entry
    return entry
  }

  // MARK: State

  /// Pins the current policy to a new incident, so that a later change to the file does not
  /// change how it escalates. Does nothing when it already has a pinned version.
  public func bind(_ incident: Incident, now: Timestamp) throws {
    guard let num = incident.rowID else { return }
    let pin = try pinCurrent(now: now)
    var state = EscalationState(versionNum: pin.num, version: pin.version, seenUpdatedAt: Timestamp(seconds: 0))
    state.policyName = engines[pin.num]?.engine.policy(for: EscalationSubject(incident))?.name
    state.nextDueAt = incident.openedAt
    try save(state, incidentNum: num, onlyIfNew: true)
  }

  public func state(incidentNum: Int64) throws -> EscalationState? {
    let statement = try db.cachedStatement(
      sql: """
        SELECT s.policy_version, v.version, s.policy_name, s.level, s.level_at, s.repeats, s.renotified,
          s.renotified_at, s.war_room, s.response, s.resolution, s.held_seconds, s.held_since,
          s.seen_updated_at, s.next_due_at, s.active, s.escalations_timeout, s.escalations_manual, s.seen_at,
          s.paused, s.resumed_at
        FROM escalation_state s JOIN policy_versions v ON v.num = s.policy_version
        WHERE s.incident_num = ?
        """)
    guard let row = try Row.fetchOne(statement, arguments: [incidentNum]) else { return nil }
    var state = EscalationState(
      versionNum: row[0], version: row[1], seenUpdatedAt: Timestamp(seconds: row[13]))
    state.policyName = row[2]
    state.level = row[3]
    state.levelAt = (row[4] as Int64?).map(Timestamp.init(seconds:))
    state.repeats = row[5]
    state.renotified = row[6]
    state.renotifiedAt = (row[7] as Int64?).map(Timestamp.init(seconds:))
    state.warRoom = row[8]
    state.response = ClockState(rawValue: row[9]) ?? .running
    state.resolution = ClockState(rawValue: row[10]) ?? .running
    state.heldSeconds = row[11]
    state.heldSince = (row[12] as Int64?).map(Timestamp.init(seconds:))
    state.nextDueAt = (row[14] as Int64?).map(Timestamp.init(seconds:))
    state.active = row[15]
    state.timeoutEscalations = row[16]
    state.manualEscalations = row[17]
    state.seenAt = Timestamp(seconds: row[18])
    state.paused = row[19]
    state.resumedAt = (row[20] as Int64?).map(Timestamp.init(seconds:))
    return state
  }

  func save(_ s: EscalationState, incidentNum: Int64, onlyIfNew: Bool = false) throws {
    let verb = onlyIfNew ? "INSERT OR IGNORE" : "INSERT OR REPLACE"
    var statement = RawStatement(try prepared("save \(verb)", EscalationStore.saveSQL(verb, count: 1)))
    EscalationStore.bind(s, incidentNum: incidentNum, to: &statement)
    try statement.execute()
  }

  /// The statement that stores `count` states.
  static func saveSQL(_ verb: String, count: Int) -> String {
    """
    \(verb) INTO escalation_state (incident_num, policy_version, policy_name, level, level_at, repeats,
      renotified, renotified_at, war_room, response, resolution, held_seconds, held_since, seen_updated_at,
      next_due_at, active, escalations_timeout, escalations_manual, seen_at, paused, resumed_at)
    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
    """
  }

  static func bind(_ s: EscalationState, incidentNum: Int64, to statement: inout RawStatement) {
    statement.bind(incidentNum)
    statement.bind(s.versionNum)
    statement.bind(s.policyName)
    statement.bind(s.level)
    statement.bind(s.levelAt?.seconds)
    statement.bind(s.repeats)
    statement.bind(s.renotified)
    statement.bind(s.renotifiedAt?.seconds)
    statement.bind(s.warRoom)
    statement.bind(s.response.rawValue)
    statement.bind(s.resolution.rawValue)
    statement.bind(s.heldSeconds)
    statement.bind(s.heldSince?.seconds)
    statement.bind(s.seenUpdatedAt.seconds)
    statement.bind(s.nextDueAt?.seconds)
    statement.bind(s.active)
    statement.bind(s.timeoutEscalations)
    statement.bind(s.manualEscalations)
    statement.bind(s.seenAt.seconds)
    statement.bind(s.paused)
    statement.bind(s.resumedAt?.seconds)
  }

  /// Records the level an incident was paged or escalated to on its row.
  func setLevel(_ level: Int, incidentNum: Int64) throws {
    var statement = RawStatement(
      try prepared("setLevel", "UPDATE incidents SET escalation_level = ? WHERE num = ?"))
    statement.bind(level)
    statement.bind(incidentNum)
    try statement.execute()
  }

  func prepared(_ key: String, _ sql: @autoclosure () -> String) throws -> Statement {
    try statements.get(key, in: db, sql())
  }

  /// Time on hold before the resolution clock stopped, from the incident's timeline: closed
  /// spans summed, and the start of a span still open.
  public func holds(_ subject: EscalationSubject) throws -> (seconds: Int64, since: Timestamp?) {
    var statement = RawStatement(
      try prepared(
        "holds",
        """
        SELECT type, at FROM events WHERE entity_num = ? AND entity = 'incident'
          AND type IN ('on_hold', 'resumed', 'resolved', 'canceled', 'closed', 'reopened', 'imported')
        ORDER BY seq
        """))
    statement.bind(subject.num)
    var total: Int64 = 0
    var since: Timestamp?
    let cutoff = subject.firstResolvedAt
    try statement.forEachRow { row in
      let at = Timestamp(seconds: row.int(1) ?? 0)
      if row.string(0) == "on_hold" {
        if since == nil { since = at }
      } else if let start = since {
        let end = cutoff.map { min($0, at) } ?? at
        total += max(0, end.seconds - start.seconds)
        since = nil
      }
    }
    if subject.status == .onHold && since == nil {
      // Imported while on hold, with no hold on its timeline: held since its last change.
      since = subject.updatedAt
    }
    if let start = since, let cutoff {
      // A hold still open after the clock stopped counts only up to the stop.
      total += max(0, cutoff.seconds - start.seconds)
      since = nil
    }
    return (total, since)
  }

  // MARK: Tick

  private static let subjectColumns = """
    i.num, i.id, i.title, i.service, i.status, i.priority, i.team, i.assignee, i.region, i.opened_at,
    i.acknowledged_at, i.first_resolved_at, i.updated_at
    """

  private static func subject(_ c: ColumnReader) -> EscalationSubject? {
    guard let num = c.int(0), let id = c.string(1), let status = c.string(4).flatMap(IncidentStatus.init(rawValue:)),
      let priority = c.int(5).flatMap({ Priority(rawValue: Int($0)) }), let opened = c.time(9),
      let updated = c.time(12)
    else { return nil }
    var s = EscalationSubject(
      num: num, id: id, title: c.string(2) ?? "", service: c.string(3) ?? "", status: status, priority: priority,
      openedAt: opened, updatedAt: updated)
    s.team = c.string(6)
    s.assignee = c.string(7)
    s.region = c.string(8)
    s.acknowledgedAt = c.time(10)
    s.firstResolvedAt = c.time(11)
    return s
  }

  /// Finds what is due at `now` and records it: events on the timelines, notifications in the
  /// outbox, state so that nothing happens twice. Only incidents that changed since they were
  /// last looked at, or have something due, are evaluated.
  ///
  /// `afterEach` is called with the count after each incident is evaluated (its writes may
  /// still wait in the buffer, or have been written with others), inside the transaction: the
  /// fault-injection point of the crash tests.
  public func tick(now: Timestamp, afterEach: (Int) -> Void = { _ in }) throws -> TickResult {
    var result = TickResult()
    let pin = try pinCurrent(now: now)
    let lastBefore = try Int64.fetchOne(db, sql: "SELECT max(num) FROM notifications") ?? 0
    var due: [(subject: EscalationSubject, changed: Bool, known: Bool)] = []
    // Open incidents: new ones, changed ones and those with something due.
    let open = RawStatement(
      boundStatement: try db.makeStatement(
        sql: """
          SELECT \(EscalationStore.subjectColumns), s.incident_num, s.seen_updated_at, s.next_due_at, s.seen_at
          FROM incidents i LEFT JOIN escalation_state s ON s.incident_num = i.num
          WHERE \(Schema.openCondition)
          """))
    try open.forEachRow { c in
      let known = c.int(13) != nil
      // A change stamped in the very second of the last look (or a record imported with an
      // older stamp) counts as a change too.
      let changed = !known || c.int(14) != c.int(12) || (c.int(12) ?? 0) >= (c.int(16) ?? 0)
      let scheduled = c.int(15).map { $0 <= now.seconds } ?? false
      if changed || scheduled, let subject = EscalationStore.subject(c) { due.append((subject, changed, known)) }
    }
    // Incidents that left the open states since they were last looked at: their clocks stop.
    let closing = RawStatement(
      boundStatement: try db.makeStatement(
        sql: """
          SELECT \(EscalationStore.subjectColumns)
          FROM escalation_state s JOIN incidents i ON i.num = s.incident_num
          WHERE s.active = 1 AND NOT \(Schema.openCondition)
          """))
    try closing.forEachRow { c in
      if let subject = EscalationStore.subject(c) { due.append((subject, true, true)) }
    }
    // Each incident is looked at once: its writes wait, to go many to a statement, as nothing
    // reads them again in this tick.
    var writes = TickWrites()
    for (subject, changed, known) in due {
      let outcome = try evaluate(subject, changed: changed, known: known, pin: pin, now: now)
      result.evaluated += 1
      result.events += outcome.events.count
      try writes.add(outcome, subject: subject, store: self, now: now)
      afterEach(result.evaluated)
    }
    try writes.flush(store: self, now: now)
    result.queued = writes.queued
    if result.queued > 0, let last = try Int64.fetchOne(db, sql: "SELECT max(num) FROM notifications") {
      result.queuedRows = (lastBefore + 1)...last
    }
    result.breachedNow = try breachedNow()
    return result
  }

  /// Evaluates one incident at `now` from its stored state (pinning the current policy to an
  /// incident seen for the first time), without writing anything.
  /// `pin` is the current policy's row when the caller has it already.
  public func evaluate(
    _ subject: EscalationSubject, changed: Bool, known: Bool = true, pin: (num: Int64, version: String)? = nil,
    now: Timestamp
  ) throws -> EscalationOutcome {
    var state: EscalationState
    if known, let stored = try self.state(incidentNum: subject.num) {
      state = stored
    } else {
      let pin = try pin ?? pinCurrent(now: now)
      state = EscalationState(versionNum: pin.num, version: pin.version, seenUpdatedAt: subject.updatedAt)
    }
    let engine = try engine(versionNum: state.versionNum).engine
    if changed && engine.rules.sla.pauseOnHold {
      (state.heldSeconds, state.heldSince) = try holds(subject)
    }
    return engine.evaluate(subject, state, now: now)
  }

  /// Writes an outcome: its events, its notifications (those not already queued) and the new
  /// state. Returns the notifications queued.
  @discardableResult
  public func record(_ outcome: EscalationOutcome, subject: EscalationSubject, now: Timestamp) throws
    -> [NotificationDraft]
  {
    try EventLog.append(
      outcome.events, entity: "incident", id: subject.id, num: subject.num, context: context, in: db)
    let queued = try Outbox(db).enqueue(outcome.notifications, now: now)
    try save(outcome.state, incidentNum: subject.num)
    if outcome.raisesLevel { try setLevel(outcome.state.level, incidentNum: subject.num) }
    return queued
  }

  /// Escalates an open incident by hand to `level`, else to the next level (at least 2), and
  /// records it. Whatever was already due is done first.
  public func escalateByHand(_ subject: EscalationSubject, level: Int?, reason: String, now: Timestamp) throws
    -> [NotificationDraft]
  {
    let current = try evaluate(subject, changed: true, now: now)
    let engine = try engine(versionNum: current.state.versionNum).engine
    guard let policy = engine.policy(for: subject) else {
      throw ITSMError.operationFailed("no escalation route matches \(subject.id), so it has no levels to escalate to")
    }
    let target = level ?? max(current.state.level + 1, 2)
    if level == nil && current.state.level >= policy.levels.count {
      throw ITSMError.operationFailed(
        "\(subject.id) is already at the last level (\(policy.levels.count)) of policy '\(policy.name)'")
    }
    var outcome = try engine.escalateByHand(subject, current.state, to: target, reason: reason, now: now)
    outcome.events = current.events + outcome.events
    outcome.notifications = current.notifications + outcome.notifications
    return try record(outcome, subject: subject, now: now)
  }

  // MARK: Plan

  /// Calls `body` with every open incident, oldest first.
  public func forEachOpenSubject(_ body: (EscalationSubject) throws -> Void) throws {
    var subjects: [EscalationSubject] = []
    try RawStatement(
      boundStatement: try db.makeStatement(
        sql:
          "SELECT \(EscalationStore.subjectColumns) FROM incidents i WHERE \(Schema.openCondition) ORDER BY i.opened_at, i.num"
      )
    ).forEachRow { c in
      if let subject = EscalationStore.subject(c) { subjects.append(subject) }
    }
    for subject in subjects { try body(subject) }
  }

  /// One step a plan foresees.
  public struct PlanStep: Sendable {
    public var at: Timestamp
    public var record: JSONObject
  }

  /// What will happen to an incident up to `horizon` if nothing changes, and where its SLA
  /// clocks stand.
  public func plan(_ subject: EscalationSubject, now: Timestamp, horizon: Timestamp) throws -> (
    sla: JSONObject, steps: [PlanStep]
  ) {
    let first = try evaluate(subject, changed: true, now: now)
    let engine = try engine(versionNum: first.state.versionNum).engine
    var steps = planSteps(first, subject, at: now, overdue: true)
    var state = first.state
    for _ in 0..<500 {
      guard let t = state.nextDueAt, t <= horizon else { break }
      let next = engine.evaluate(subject, state, now: t)
      steps += planSteps(next, subject, at: t, overdue: false)
      guard let after = next.state.nextDueAt, after > t else { break }
      state = next.state
    }
    var sla = JSONObject()
    sla.add("kind", .string("sla"))
    sla.add("incident", .string(subject.id))
    sla.add("priority", .string(subject.priority.description))
    sla.add("status", .string(subject.status.rawValue))
    sla.add("policy", first.state.policyName.map { .string($0) })
    sla.add("policy_version", .string(first.state.version))
    sla.add("level", .int(Int64(first.state.level)))
    for clock in SLAClock.allCases {
      let name = clock.rawValue
      guard let target = engine.target(clock, subject.priority) else { continue }
      let clockState = first.state.clock(clock)
      sla.add("\(name)_target_min", .double(Double(target.seconds) / 60))
      sla.add("\(name)_elapsed_min", .double(Double(engine.elapsed(clock, subject, first.state, at: now)) / 60))
      if !clockState.isFinal,
        let due = engine.deadline(clock, subject, first.state, seconds: target.seconds, now: now)
      {
        sla.add("\(name)_due", .string(due.rfc3339))
      }
      let paused = clock == .resolution && engine.rules.sla.pauseOnHold && first.state.heldSince != nil
      sla.add("\(name)_state", .string(paused && !clockState.isFinal ? "paused" : clockState.rawValue))
    }
    return (sla, steps)
  }

  private func planSteps(_ outcome: EscalationOutcome, _ subject: EscalationSubject, at: Timestamp, overdue: Bool)
    -> [PlanStep]
  {
    let reasons = [
      "paged": ["page"], "escalated": ["timeout", "manual"], "renotified": ["ack_timeout"],
      "war_room_opened": ["war_room"],
    ]
    return outcome.events.map { event in
      var o = JSONObject()
      o.add("kind", .string("plan"))
      o.add("at", .string(at.rfc3339))
      o.add("incident", .string(subject.id))
      o.add("priority", .string(subject.priority.description))
      o.add("policy", outcome.state.policyName.map { .string($0) })
      o.add("action", .string(event.type))
      o.add("level", event.data["level"])
      o.add("clock", event.data["clock"])
      let wanted = reasons[event.type] ?? [event.type]
      let targets = outcome.notifications.filter { wanted.contains($0.reason) }.map(\.target.description)
      var unique: [String] = []
      for t in targets where !unique.contains(t) { unique.append(t) }
      o.add("targets", .array(unique.map { .string($0) }))
      if overdue { o.add("overdue", .bool(true)) }
      return PlanStep(at: at, record: o)
    }
  }

  /// Open incidents with an SLA clock past its target and still running.
  public func breachedNow() throws -> Int {
    try Int.fetchOne(
      db,
      sql: """
        SELECT count(*) FROM escalation_state s JOIN incidents i ON i.num = s.incident_num
        WHERE s.active = 1 AND \(Schema.openCondition) AND (s.response = 'breached' OR s.resolution = 'breached')
        """) ?? 0
  }
}

extension EscalationOutcome {
  /// Whether the incident was paged or escalated: its row then records the level.
  var raisesLevel: Bool { events.contains { $0.type == "paged" || $0.type == "escalated" } }
}

/// A tick's writes, buffered and sent `rowsPerStatement` to a statement: events,
/// notifications, states. Per-row statements were most of a first tick over 100,000 open
/// incidents.
private struct TickWrites {
  private var events = EventRows(entity: "incident")
  private var notifications = NotificationRows()
  private var states: [(num: Int64, state: EscalationState)] = []
  var queued: Int { notifications.queued }

  mutating func add(_ outcome: EscalationOutcome, subject: EscalationSubject, store: EscalationStore, now: Timestamp)
    throws
  {
    events.add(outcome.events, id: subject.id, num: subject.num)
    notifications.add(outcome.notifications)
    states.append((subject.num, outcome.state))
    if outcome.raisesLevel { try store.setLevel(outcome.state.level, incidentNum: subject.num) }
    if events.isFull || notifications.isFull || states.count >= rowsPerStatement { try flush(store: store, now: now) }
  }

  mutating func flush(store: EscalationStore, now: Timestamp) throws {
    try events.flush(context: store.context) { try store.prepared("events\($0)", EventLog.insertSQL(entities: $0)) }
    try notifications.flush(now: now) { try store.prepared("notifications\($0)", Outbox.insertSQL(count: $0)) }
    try writeInStatements(
      states, prepared: { try store.prepared("states\($0)", EscalationStore.saveSQL("INSERT OR REPLACE", count: $0)) }
    ) { s, row in EscalationStore.bind(row.state, incidentNum: row.num, to: &s) }
    states.removeAll(keepingCapacity: true)
  }
}
