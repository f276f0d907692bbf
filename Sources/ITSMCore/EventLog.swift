import GRDB

/// The append-only event log, written by every store.
public enum EventLog {
  /// The statement for `count` events about one entity. What they share (entity, its id and
  /// row, actor, source) is bound once, as parameters 1 to 5; each event binds its time, type
  /// and data: a third of the values an import binds otherwise.
  ///
  /// `OR FAIL`: a statement that writes several rows and may abort (a NOT NULL column) makes
  /// SQLite keep a statement journal, a copy of every page it touches, so that the abort can
  /// undo its rows alone. A failed statement here always ends its transaction or savepoint,
  /// which undoes them anyway; without the journal an import of 150,000 incidents uses about
  /// 0.6 s less CPU.
  static func insertSQL(count: Int) -> String {
    "INSERT OR FAIL INTO events (at, entity, entity_id, entity_num, type, actor, source, data) VALUES "
      + (0..<count).map { i in
        let first = 6 + 3 * i
        return "(?\(first), ?1, ?2, ?3, ?\(first + 1), ?4, ?5, ?\(first + 2))"
      }.joined(separator: ", ")
  }

  /// The statement for `count` events about entities of one kind, one event each: the kind,
  /// actor and source are parameters 1 to 3; each event binds its time, entity id and row,
  /// type and data.
  static func insertSQL(entities count: Int) -> String {
    "INSERT OR FAIL INTO events (at, entity, entity_id, entity_num, type, actor, source, data) VALUES "
      + (0..<count).map { i in
        let first = 4 + 5 * i
        return "(?\(first), ?1, ?\(first + 1), ?\(first + 2), ?\(first + 3), ?2, ?3, ?\(first + 4))"
      }.joined(separator: ", ")
  }

  /// Appends events about one entity through `statement`, prepared from
  /// `insertSQL(count: events.count)` (callers cache it).
  static func append(
    _ events: [EventDraft], entity: String, id: String, num: Int64?, context: ChangeContext, statement: Statement
  ) throws {
    var raw = RawStatement(statement)
    raw.bind(entity)
    raw.bind(id)
    raw.bind(num ?? 0)
    raw.bind(context.actor)
    raw.bind(context.source)
    for event in events {
      raw.bind(event.at.seconds)
      raw.bind(event.type)
      raw.bind(json: event.data)
    }
    try raw.execute()
  }

  /// Appends events in the caller's transaction, with GRDB's statement cache.
  static func append(
    _ events: [EventDraft], entity: String, id: String, num: Int64?, context: ChangeContext, in db: Database
  ) throws {
    guard !events.isEmpty else { return }
    try append(
      events, entity: entity, id: id, num: num, context: context,
      statement: db.cachedStatement(sql: insertSQL(count: events.count)))
  }
}

/// Events about many entities of one kind, buffered and written `rowsPerStatement` to a
/// statement (`EventLog.insertSQL(entities:)`), in the order they were added. Whoever reads
/// the events in between flushes first.
struct EventRows {
  let entity: String
  private var pending: [(id: String, num: Int64, event: EventDraft)] = []

  init(entity: String) { self.entity = entity }

  var isFull: Bool { pending.count >= rowsPerStatement }

  mutating func add(_ events: [EventDraft], id: String, num: Int64) {
    for event in events { pending.append((id, num, event)) }
  }

  mutating func add(_ event: EventDraft, id: String, num: Int64) { pending.append((id, num, event)) }

  /// Writes what is buffered; `prepared(n)` gives the statement for n rows.
  mutating func flush(context: ChangeContext, _ prepared: (Int) throws -> Statement) throws {
    let entity = entity
    try writeInStatements(
      pending, prepared: prepared,
      shared: { s in
        s.bind(entity)
        s.bind(context.actor)
        s.bind(context.source)
      }
    ) { s, row in
      s.bind(row.event.at.seconds)
      s.bind(row.id)
      s.bind(row.num)
      s.bind(row.event.type)
      s.bind(json: row.event.data)
    }
    pending.removeAll(keepingCapacity: true)
  }
}
