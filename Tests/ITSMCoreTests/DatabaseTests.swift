import Foundation
import GRDB
import Testing

@testable import ITSMCore

@Suite("database: schema, events, import")
struct DatabaseTests {
  func temporaryDatabase() throws -> AppDatabase {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-db-\(UUID().uuidString)")
    return try AppDatabase.openForWriting(path: folder.appendingPathComponent("t.db").path, environment: [:])
  }

  @Test func eventsAreAppendOnly() throws {
    let database = try temporaryDatabase()
    try database.write { db in
      var i = Incident(
        id: "INC-1", title: "t", service: "s", priority: .p2, prioritySource: .manual, openedAt: Timestamp(seconds: 0))
      try IncidentStore(db, policy: Policy()).insert(
        &i, events: [EventDraft(type: "opened", at: Timestamp(seconds: 0))],
        context: ChangeContext(actor: "a", source: "test"))
    }
    #expect(throws: ITSMError.self) { try database.write { try $0.execute(sql: "UPDATE events SET type = 'x'") } }
    #expect(throws: ITSMError.self) { try database.write { try $0.execute(sql: "DELETE FROM events") } }
    #expect(try database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") } == 1)
  }

  @Test func walModeAndBusyTimeout() throws {
    let database = try temporaryDatabase()
    #expect(try database.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    #expect(AppDatabase.busyTimeout(environment: [:]) >= 5)
  }

  @Test func nextIdSkipsImportedIds() throws {
    let database = try temporaryDatabase()
    let id = try database.write { db -> String in
      let store = IncidentStore(db, policy: Policy())
      var i = Incident(
        id: "INC-1", title: "t", service: "s", priority: .p2, prioritySource: .manual, openedAt: Timestamp(seconds: 0))
      try store.insert(&i, events: [], context: ChangeContext(actor: "a", source: "test"))
      return try store.nextID()
    }
    #expect(id == "INC-2")
  }

  @Test func openIncidentQueryUsesThePartialIndex() throws {
    let database = try temporaryDatabase()
    let plan = try database.read { db in
      try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT * FROM incidents WHERE \(Schema.openCondition)").map {
        $0["detail"] as String
      }
    }
    #expect(plan.joined().contains("incidents_open"))
  }
}
