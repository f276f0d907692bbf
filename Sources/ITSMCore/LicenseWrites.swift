import GRDB

/// The writes of many cases' steps, buffered and sent many rows to a statement: new cases,
/// changed cases, their events and the notifications to managers. SQLite spends a fixed time
/// on each statement that writes a table with indexes (it opens and closes a cursor on each),
/// about twice what it spends on the row itself here: one statement per row was most of a
/// first night's `flag` and `reclaim` over 48,000 cases.
///
/// The statements are `OR FAIL`, or `OR IGNORE` for notifications: a failure ends the
/// caller's transaction anyway. That spares the events and updates a statement journal (see
/// `EventLog.insertSQL`); new cases still get one, as their foreign key is checked at the
/// end of a statement that writes several rows.
/// Rows are written in the order they were added, so events keep their order.
struct CaseWrites {
  private var inserts: [(c: LicenseCase, accountNum: Int64)] = []
  private var updates: [LicenseCase] = []
  private var events = EventRows(entity: "license.case")
  private var notifications = NotificationRows()
  /// Notifications queued so far: those not already in the outbox.
  var queued: Int { notifications.queued }

  /// A new case, with the row number it is to have.
  mutating func insert(_ c: LicenseCase, accountNum: Int64) {
    inserts.append((c, accountNum))
  }

  /// An event about a case.
  mutating func event(_ c: LicenseCase, _ type: String, at now: Timestamp, _ data: JSONObject) {
    events.add(EventDraft(type: type, at: now, data: data), id: c.id, num: c.num)
  }

  mutating func notify(_ notification: NotificationDraft) {
    notifications.add([notification])
  }

  /// Moves a case to `state`, with an event that names the states, what else the step set
  /// (the grace period, the savings, the SKU it moved to) and `data`; returns the case as it
  /// is then.
  mutating func step(
    _ c: LicenseCase, to state: String, at now: Timestamp, data: JSONObject = JSONObject(),
    _ change: (inout LicenseCase) -> Void = { _ in }
  ) -> LicenseCase {
    let (next, event) = CaseWrites.stepped(c, to: state, at: now, data: data, change)
    add(next, event)
    return next
  }

  /// Closes an open case as kept, `by` whom or what, and why.
  mutating func keep(_ c: LicenseCase, by: String, reason: String, at now: Timestamp) -> LicenseCase {
    let (next, event) = CaseWrites.kept(c, by: by, reason: reason, at: now)
    add(next, event)
    return next
  }

  /// A case as changed by a step, and its event, written later with `add` (worked out on
  /// any thread: it touches nothing here).
  static func stepped(
    _ c: LicenseCase, to state: String, at now: Timestamp, data: JSONObject = JSONObject(),
    _ change: (inout LicenseCase) -> Void = { _ in }
  ) -> (next: LicenseCase, event: EventDraft) {
    var next = c
    next.state = state
    change(&next)
    var event = JSONObject([JSONField("before", .string(c.state)), JSONField("after", .string(state))])
    if next.graceUntil != c.graceUntil { event.add("grace_until", next.graceUntil.map { .string($0.rfc3339) }) }
    if next.closedAt != c.closedAt { event.add("closed_at", next.closedAt.map { .string($0.rfc3339) }) }
    if next.keptBy != c.keptBy { event.add("kept_by", next.keptBy.map { .string($0) }) }
    if next.savedMonthly != c.savedMonthly {
      event.add("saved_monthly", next.savedMonthly.map { .double(LicenseCase.cents($0)) })
    }
    if next.downgradedTo != c.downgradedTo { event.add("downgraded_to", next.downgradedTo.map { .string($0) }) }
    event.fields.append(contentsOf: data.fields)
    return (next, EventDraft(type: state, at: now, data: event))
  }

  /// `stepped` to kept.
  static func kept(_ c: LicenseCase, by: String, reason: String, at now: Timestamp) -> (
    next: LicenseCase, event: EventDraft
  ) {
    stepped(
      c, to: "kept", at: now,
      data: JSONObject([JSONField("kept_by", .string(by)), JSONField("reason", .string(reason))])
    ) {
      $0.closedAt = now
      $0.keptBy = by
    }
  }

  /// Buffers a step worked out by `stepped`: the case's new columns and its event.
  mutating func add(_ next: LicenseCase, _ event: EventDraft) {
    updates.append(next)
    events.add(event, id: next.id, num: next.num)
  }

  /// Writes what is buffered: all of it, or (`all` false) only once a statement's worth of
  /// rows has gathered.
  mutating func flush(_ store: LicenseStore, all: Bool) throws {
    guard
      all || inserts.count >= rowsPerStatement || updates.count >= rowsPerStatement || events.isFull
        || notifications.isFull
    else { return }
    // Cases first: the events and notifications are about them.
    try writeInStatements(
      inserts, prepared: { try store.prepared("caseInserts\($0)", CaseWrites.insertSQL(count: $0)) }
    ) {
      s, row in
      s.bind(row.c.num)
      s.bind(row.c.id)
      s.bind(row.accountNum)
      s.bind(row.c.app)
      s.bind(row.c.sku)
      s.bind(row.c.reason)
      s.bind(row.c.state)
      s.bind(row.c.openedAt.seconds)
      s.bind(row.c.monthlyCost)
    }
    inserts.removeAll(keepingCapacity: true)
    try writeInStatements(
      updates, prepared: { try store.prepared("caseUpdates\($0)", CaseWrites.updateSQL(count: $0)) }
    ) {
      s, c in
      s.bind(c.num)
      s.bind(c.state)
      s.bind(c.notifiedAt?.seconds)
      s.bind(c.graceUntil?.seconds)
      s.bind(c.closedAt?.seconds)
      s.bind(c.keptBy)
      s.bind(c.savedMonthly)
      s.bind(c.downgradedTo)
    }
    updates.removeAll(keepingCapacity: true)
    try events.flush(context: store.context) { try store.prepared("caseEvents\($0)", EventLog.insertSQL(entities: $0)) }
    try notifications.flush(now: store.now) {
      try store.prepared("caseNotifications\($0)", Outbox.insertSQL(count: $0))
    }
  }

  static func insertSQL(count: Int) -> String {
    "INSERT OR FAIL INTO license_cases (num, id, account_num, app, sku, reason, state, opened_at, monthly_cost) VALUES "
      + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
  }

  /// Every column a step may change, by row number (`UPDATE ... FROM` a list of values).
  static func updateSQL(count: Int) -> String {
    """
    UPDATE OR FAIL license_cases SET state = v.column2, notified_at = v.column3, grace_until = v.column4,
      closed_at = v.column5, kept_by = v.column6, saved_monthly = v.column7, downgraded_to = v.column8
    FROM (VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))) AS v
    WHERE license_cases.num = v.column1
    """
  }
}
