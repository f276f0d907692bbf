import Foundation
import GRDB

/// A notification waiting in the outbox, as `notify` hands it to a delivery.
public struct PendingNotification: Sendable {
  public var num: Int64
  public var id: String
  public var entity: String
  public var entityID: String
  public var entityNum: Int64?
  public var attempts: Int
  /// The claim's token: the delivery is recorded only while the claim is still this one's.
  public var token: String?
  /// The record of kind `notification` that is delivered.
  public var record: JSONObject
}

/// The notification outbox: claiming due notifications for delivery, and recording how each
/// delivery went. Claims are leases, so that two `notify` runs at once do not both send the
/// same notification; a run that dies leaves its claims to expire and be retried.
public struct Outbox {
  public let db: Database

  public init(_ db: Database) { self.db = db }

  /// Queues notifications; one already queued (the same id) is left alone. Returns the ones
  /// that were new.
  public func enqueue(_ notifications: [NotificationDraft], now: Timestamp) throws -> [NotificationDraft] {
    guard !notifications.isEmpty else { return [] }
    let statement = try db.cachedStatement(sql: Outbox.insertOneSQL)
    var queued: [NotificationDraft] = []
    for n in notifications {
      // Bound through the C API: GRDB's arguments box each value (ticks and reclaim queue
      // tens of thousands).
      var row = RawStatement(statement)
      Outbox.bind(n, now: now, to: &row)
      try row.execute()
      if db.changesCount > 0 { queued.append(n) }
    }
    return queued
  }

  private static let insertOneSQL = insertSQL(count: 1)

  /// The statement that queues `count` notifications, each unless its id is queued already.
  static func insertSQL(count: Int) -> String {
    """
    INSERT OR IGNORE INTO notifications (id, source, entity, entity_id, entity_num, priority, recipient, channel,
      reason, level, message, created_at, next_attempt_at)
    VALUES \(Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", "))
    """
  }

  /// Binds a notification's values for `insertSQL`.
  static func bind(_ n: NotificationDraft, now: Timestamp, to row: inout RawStatement) {
    row.bind(n.id)
    row.bind(n.source)
    row.bind(n.entity)
    row.bind(n.entityID)
    row.bind(n.entityNum)
    row.bind(n.priority?.rawValue)
    row.bind(n.target.name)
    row.bind(n.target.kind.rawValue)
    row.bind(n.reason)
    row.bind(n.level)
    row.bind(n.message)
    row.bind(n.createdAt.seconds)
    row.bind(now.seconds)
  }

  private static let columns = """
    num, id, source, entity, entity_id, entity_num, priority, recipient, channel, reason, level, message,
    created_at, attempts
    """

  /// Claims up to `limit` pending notifications that are due, oldest first, for `lease`: no
  /// other run takes them until the lease runs out (a run that died), and this run records
  /// their delivery only while the claim is still its own.
  public func claim(now: Timestamp, limit: Int, lease: DurationValue) throws -> [PendingNotification] {
    let rows = try Row.fetchAll(
      db,
      sql: """
        SELECT \(Outbox.columns) FROM notifications
        WHERE state = 'pending' AND next_attempt_at <= ? AND (lease_until IS NULL OR lease_until <= ?)
        ORDER BY next_attempt_at, num LIMIT ?
        """, arguments: [now.seconds, now.seconds, limit])
    var claimed: [PendingNotification] = []
    let take = try db.cachedStatement(
      sql: "UPDATE notifications SET lease_until = ?, lease_token = ?, attempts = attempts + 1 WHERE num = ?")
    for row in rows {
      var pending = Outbox.pending(row, attempted: true)
      pending.token = UUID().uuidString
      try take.execute(arguments: [(now + lease).seconds, pending.token, pending.num])
      claimed.append(pending)
    }
    return claimed
  }

  /// Calls `body` with the notifications in a range of outbox rows, in order: what a tick
  /// queued.
  public func forEach(queuedIn rows: ClosedRange<Int64>, _ body: (JSONObject) throws -> Void) throws {
    let cursor = try Row.fetchCursor(
      db, sql: "SELECT \(Outbox.columns) FROM notifications WHERE num BETWEEN ? AND ? ORDER BY num",
      arguments: [rows.lowerBound, rows.upperBound])
    while let row = try cursor.next() {
      var record = Outbox.pending(row, attempted: false).record
      record["attempts"] = nil
      try body(record)
    }
  }

  private static func pending(_ row: Row, attempted: Bool) -> PendingNotification {
    let num: Int64 = row[0]
    let entity: String = row[3]
    let entityID: String = row[4]
    var o = JSONObject()
    o.add("kind", .string("notification"))
    o.add("id", .string(row[1]))
    if entity == "incident" {
      o.add("incident", .string(entityID))
    } else {
      o.add("entity", .string(entity))
      o.add("entity_id", .string(entityID))
    }
    o.add("priority", (row[6] as Int?).flatMap { Priority(rawValue: $0) }.map { .string($0.description) })
    o.add("to", .string(row[7]))
    o.add("channel", .string(row[8]))
    o.add("reason", .string(row[9]))
    o.add("level", (row[10] as Int64?).map { .int($0) })
    o.add("message", .string(row[11]))
    o.add("created_at", .string(Timestamp(seconds: row[12]).rfc3339))
    o.add("source", .string(row[2]))
    let attempts: Int = row[13] + (attempted ? 1 : 0)
    o.add("attempts", .int(Int64(attempts)))
    return PendingNotification(
      num: num, id: row[1], entity: entity, entityID: entityID, entityNum: row[5], attempts: attempts, record: o)
  }

  /// Records a delivery: the notification leaves the outbox, and the entity's timeline says
  /// where it went. False when the claim was lost (its lease ran out and another run took the
  /// notification): that run records it.
  @discardableResult
  public func delivered(_ n: PendingNotification, via: String, now: Timestamp, context: ChangeContext) throws -> Bool {
    try db.execute(
      sql: """
        UPDATE notifications SET state = 'delivered', delivered_at = ?, lease_until = NULL, lease_token = NULL,
          last_error = NULL
        WHERE num = ? AND lease_token = ? AND state = 'pending'
        """, arguments: [now.seconds, n.num, n.token])
    guard db.changesCount > 0 else { return false }
    var data = JSONObject()
    data.add("notification", .string(n.id))
    data.add("to", n.record["to"])
    data.add("channel", n.record["channel"])
    data.add("reason", n.record["reason"])
    data.add("via", .string(via))
    data.add("attempts", .int(Int64(n.attempts)))
    try EventLog.append(
      [EventDraft(type: "notification_delivered", at: now, data: data)], entity: n.entity, id: n.entityID,
      num: n.entityNum, context: context, in: db)
    return true
  }

  /// Records a failed attempt: the notification stays pending and is retried after a backoff
  /// that doubles with each attempt (30 s, 1 min, 2 min ... at most 1 h).
  public func failed(_ n: PendingNotification, error: String, now: Timestamp) throws -> Timestamp {
    let retryAt = now + Outbox.backoff(attempts: n.attempts)
    try db.execute(
      sql: """
        UPDATE notifications SET next_attempt_at = ?, lease_until = NULL, lease_token = NULL, last_error = ?
        WHERE num = ? AND lease_token = ? AND state = 'pending'
        """,
      arguments: [retryAt.seconds, String(error.prefix(500)), n.num, n.token])
    return retryAt
  }

  public static func backoff(attempts: Int) -> DurationValue {
    let exponent = min(max(attempts - 1, 0), 7)
    return DurationValue(seconds: min(30 << Int64(exponent), 3600))
  }

  /// Pending notifications, due or waiting for a retry; not those another run is delivering
  /// right now (claimed, with a lease that has not run out).
  public func pendingCount(now: Timestamp) throws -> Int {
    try Int.fetchOne(
      db,
      sql: "SELECT count(*) FROM notifications WHERE state = 'pending' AND (lease_until IS NULL OR lease_until <= ?)",
      arguments: [now.seconds]) ?? 0
  }
}

/// Notifications buffered and queued `rowsPerStatement` to a statement, each unless its id
/// is queued already (see `EventRows`).
struct NotificationRows {
  private var pending: [NotificationDraft] = []
  /// How many were new, of those written so far.
  private(set) var queued = 0

  var isFull: Bool { pending.count >= rowsPerStatement }

  mutating func add(_ notifications: [NotificationDraft]) { pending.append(contentsOf: notifications) }

  /// Writes what is buffered; `prepared(n)` gives the statement for n rows.
  mutating func flush(now: Timestamp, _ prepared: (Int) throws -> Statement) throws {
    queued += try writeInStatements(pending, prepared: prepared) { s, n in Outbox.bind(n, now: now, to: &s) }
    pending.removeAll(keepingCapacity: true)
  }
}
