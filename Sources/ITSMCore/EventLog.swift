import GRDB

/// The append-only event log, written by every store.
public enum EventLog {
  static func insertSQL(count: Int) -> String {
    "INSERT INTO events (at, entity, entity_id, entity_num, type, actor, source, data) VALUES "
      + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?)", count: count).joined(separator: ", ")
  }

  /// Appends events about one entity through `statement`, prepared from
  /// `insertSQL(count: events.count)` (callers cache it).
  static func append(
    _ events: [EventDraft], entity: String, id: String, num: Int64?, context: ChangeContext, statement: Statement
  ) throws {
    var raw = RawStatement(statement)
    for event in events {
      raw.bind(event.at.seconds)
      raw.bind(entity)
      raw.bind(id)
      raw.bind(num ?? 0)
      raw.bind(event.type)
      raw.bind(context.actor)
      raw.bind(context.source)
      raw.bind(event.data.isEmpty ? nil : JSONSerializer.string(event.data))
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
