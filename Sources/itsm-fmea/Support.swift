import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

/// Table, CSV and Markdown columns for the records this tool prints.
enum Views {
  static let mode: [Column] = [
    Column("id", "id"), Column("service", "service"), Column("component", "component"),
    Column("failure mode", "failure_mode", .wrap(36)), Column("S", "severity"), Column("O", "occurrence"),
    Column("D", "detection"), Column("RPN", "rpn"), Column("AP", "action_priority"), Column("owner", "owner"),
    Column("status", "status"), Column("open actions", "open_actions"),
  ]
  static let evaluation: [Column] = [
    Column("at", "at", .time), Column("actor", "actor"), Column("S", "severity"), Column("O", "occurrence"),
    Column("D", "detection"), Column("RPN", "rpn"), Column("AP", "action_priority"),
    Column("actions done", "actions_done"), Column("reason", "reason", .wrap(40)),
  ]
  static let action: [Column] = [
    Column("mode", "mode"), Column("action", "action"), Column("text", "text", .wrap(40)), Column("owner", "owner"),
    Column("due", "due", .time), Column("done", "done_at", .time),
  ]
  static let proposal: [Column] = [
    Column("id", "id"), Column("service", "service"), Column("component", "component"), Column("O", "occurrence"),
    Column("O new", "proposed_occurrence"), Column("D", "detection"), Column("D new", "proposed_detection"),
    Column("RPN", "rpn"), Column("RPN new", "proposed_rpn"), Column("AP", "action_priority"),
    Column("AP new", "proposed_action_priority"), Column("changed", "changed"), Column("applied", "applied"),
  ]
  static let alert: [Column] = [
    Column("id", "id"), Column("state", "state"), Column("service", "service"), Column("component", "component"),
    Column("RPN", "rpn"), Column("AP", "action_priority"), Column("at", "at", .time),
  ]
  static let risk: [Column] = [
    Column("#", "rank"), Column("id", "id"), Column("service", "service"), Column("tier", "tier"),
    Column("component", "component"), Column("AP", "action_priority"), Column("RPN", "rpn"),
    Column("incidents", "incidents"), Column("lost h", "lost_hours"), Column("cost", "cost"), Column("score", "score"),
    Column("owner", "owner"),
  ]
  static let spof: [Column] = [
    Column("component", "component"), Column("tier", "tier"), Column("single dep", "single_dependency"),
    Column("cuts", "cuts", .wrap(40)), Column("blast radius", "blast_radius"),
  ]
  static let service: [Column] = [
    Column("service", "name"), Column("tier", "tier"), Column("owner", "owner"), Column("relation", "relation"),
    Column("depends on", "depends_on", .wrap(40)), Column("dependents", "dependents", .wrap(40)),
  ]
  static let worksheet: [Column] = [
    Column("ID", "id"), Column("Service", "service"), Column("Component", "component"), Column("Function", "function"),
    Column("Failure mode", "failure_mode"), Column("Effect", "effect"), Column("S", "severity"),
    Column("Cause", "cause"), Column("Prevention controls", "prevention"), Column("O", "occurrence"),
    Column("Detection controls", "detection_controls"), Column("D", "detection"), Column("RPN", "rpn"),
    Column("AP", "action_priority"), Column("Recommended actions", "recommended_actions"),
    Column("Owner", "owner"), Column("Status", "status"),
  ]
  static let all: [String: [Column]] = [
    "fmea.mode": mode, "fmea.evaluation": evaluation, "fmea.action": action, "fmea.proposal": proposal,
    "fmea.alert": alert, "fmea.risk": risk, "fmea.spof": spof, "service": service, "fmea.worksheet": worksheet,
  ]
}

/// `--s`, `--o` and `--d`, each 1..10.
struct ScoreOptions: ParsableArguments {
  @Option(name: .customLong("s"), help: "Severity, 1 (no effect) to 10 (hazardous).") var severity: Int?
  @Option(name: .customLong("o"), help: "Occurrence, 1 (remote) to 10 (very high).") var occurrence: Int?
  @Option(name: .customLong("d"), help: "Detection, 1 (certain to be found) to 10 (cannot be found).")
  var detection: Int?

  func validate() throws {
    for (flag, value) in [("--s", severity), ("--o", occurrence), ("--d", detection)] {
      if let value, !FMEAScores.range.contains(value) {
        throw ValidationError("'\(flag)' must be a whole number from 1 to 10, got \(value)")
      }
    }
  }
}

/// `--allow-unknown-service`.
struct UnknownServiceOption: ParsableArguments {
  @Flag(help: "Accept a service missing from the policy's catalog, with a warning.")
  var allowUnknownService = false
}

/// The history window of `derive` and `risk`: `--window`, else the policy's.
func windowStart(_ text: String?, session: CommandSession) throws -> (Timestamp, Double) {
  var window = session.policy.fmea.window
  if let text {
    do {
      window = try DurationValue.parse(text)
    } catch let error as ITSMError {
      throw ITSMError.usage("--window: \(error.messages.joined())")
    }
    if window.seconds <= 0 { throw ITSMError.usage("--window: the window must be more than zero") }
  }
  return (Timestamp(seconds: session.now.seconds - window.seconds), Double(window.seconds) / 86_400)
}

/// Opens the register for reading, or answers `empty` when there is no database yet.
func withRegister<T>(_ global: GlobalOptions, empty: T, _ body: (FMEAStore) throws -> T) throws -> T {
  guard FileManager.default.fileExists(atPath: global.databasePath) else { return empty }
  let database = try global.openDatabaseForReading()
  return try database.read { try body(FMEAStore($0, database: database)) }
}

/// Runs `body` with the mode `id` in one write transaction (rolled back with `dryRun`). A
/// missing database is the same as an unknown id (exit 1).
func withMode<T>(_ global: GlobalOptions, id: String, dryRun: Bool, _ body: (FMEAStore, FailureMode) throws -> T)
  throws -> T
{
  guard FileManager.default.fileExists(atPath: global.databasePath) else {
    throw ITSMError.operationFailed(
      "no failure mode with id '\(id)' (there is no database at \(global.databasePath) yet)")
  }
  return try global.openDatabaseForWriting().write(dryRun: dryRun) { db in
    let store = FMEAStore(db)
    return try body(store, try store.require(id: id))
  }
}

/// A text flag with only blanks is not given: absent values are omitted, never "".
func given(_ text: String?) -> String? {
  guard let text, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { return nil }
  return text
}

/// The modes in remediation order, with their incidents over the policy's window.
func rankedRisks(_ store: FMEAStore, modes: [FailureMode], session: CommandSession) throws -> [FMEARiskEntry] {
  let (since, _) = try windowStart(nil, session: session)
  return try store.risks(
    modes: modes, policy: session.policy, since: since, until: session.now, environment: session.global.environment)
}
