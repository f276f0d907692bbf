import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

/// Table and CSV columns for the records this tool prints.
enum Views {
  static let incident: [Column] = [
    Column("id", "id"), Column("status", "status"), Column("pri", "priority"), Column("service", "service"),
    Column("title", "title", .wrap(44)), Column("team", "team"), Column("assignee", "assignee"),
    Column("opened", "opened_at", .time), Column("resolved", "resolved_at", .time),
  ]
  /// Every flat field of an incident, in record order (tags and extra as JSON text).
  static let incidentCSV: [Column] = Incident.recordKeys.filter { $0 != "kind" && $0 != "extra" }.map { Column($0, $0) }
  static let event: [Column] = [
    Column("seq", "seq"), Column("at", "at", .time), Column("incident", "incident"), Column("type", "type"),
    Column("actor", "actor"), Column("source", "source"), Column("text", "text", .wrap(40)),
    Column("reason", "reason", .wrap(30)),
  ]
  static let all: [String: [Column]] = ["incident": incident, "incident.csv": incidentCSV, "event": event]
}

/// Runs a lifecycle action on one incident in one transaction and prints the result.
func runLifecycle(_ global: GlobalOptions, id: String, dryRun: Bool = false, _ action: IncidentAction) throws {
  try CommandRunner.run(tool: ITSMIncident.toolName) {
    let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
    let database = try openExisting(global, lookingFor: id)
    let outcome = try database.write(dryRun: dryRun) { db in
      try IncidentStore(db, policy: session.policy).perform(
        action, on: id, at: session.now, context: session.context(source: "cli"))
    }
    if let why = outcome.unchangedBecause { session.messages.info(why) }
    if dryRun { session.messages.info("dry run: nothing was changed") }
    try session.printer.print(outcome.incident.record(policy: session.policy))
    try session.printer.finish()
  }
}

/// Opens the database for a change to an incident that must already exist; when the file is
/// missing there is no such incident, and no empty database is created.
func openExisting(_ global: GlobalOptions, lookingFor id: String) throws -> AppDatabase {
  guard FileManager.default.fileExists(atPath: global.databasePath) else {
    throw ITSMError.operationFailed("no incident with id '\(id)' (there is no database at \(global.databasePath) yet)")
  }
  return try global.openDatabaseForWriting()
}

/// Splits repeated or comma-separated option values: `--priority P1,P2 --priority P3`.
func commaList(_ values: [String]) -> [String] {
  values.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }.filter { !$0.isEmpty }
}

extension SupportTier: ExpressibleByArgument {
  public init?(argument: String) { self.init(parsing: argument) }
}

extension ImpactType: ExpressibleByArgument {}
extension DetectionSource: ExpressibleByArgument {}
