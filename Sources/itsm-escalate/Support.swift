import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// Table and CSV columns for the records this tool prints.
enum Views {
  static let notification: [Column] = [
    Column("id", "id"), Column("pri", "priority"), Column("incident", "incident"), Column("to", "to"),
    Column("channel", "channel"), Column("reason", "reason"), Column("level", "level"),
    Column("state", "state"), Column("message", "message", .wrap(60)),
  ]
  static let plan: [Column] = [
    Column("at", "at", .time), Column("incident", "incident"), Column("pri", "priority"), Column("policy", "policy"),
    Column("action", "action"), Column("level", "level"), Column("clock", "clock"),
    Column("targets", "targets", .wrap(40)),
  ]
  static let sla: [Column] = [
    Column("incident", "incident"), Column("pri", "priority"), Column("status", "status"),
    Column("policy", "policy"), Column("level", "level"), Column("response due", "response_due", .time),
    Column("response", "response_state"), Column("resolution due", "resolution_due", .time),
    Column("resolution", "resolution_state"),
  ]
  static let all: [String: [Column]] = ["notification": notification, "plan": plan, "sla": sla]
}

/// One tick against the database: what `tick` and `watch` run. Prints the notifications it
/// queued and returns how many SLAs are breached now.
func runTick(_ session: CommandSession, dryRun: Bool) throws -> TickResult {
  let result = try session.global.withWritableDatabase(dryRun: dryRun) { database in
    let result = try database.write(dryRun: dryRun) { db in
      // For crash tests: ITSM_TEST_KILL_AFTER=N kills the process (SIGKILL) inside the tick's
      // transaction once N incidents are evaluated.
      let killAfter = session.global.environment["ITSM_TEST_KILL_AFTER"].flatMap { Int($0) }
      let result = try EscalationStore(db, policy: session.policy, context: session.context(source: "tick"))
        .tick(now: session.now) { count in
          if count == killAfter { kill(getpid(), SIGKILL) }
        }
      // A dry run prints what it would queue before it is rolled back; a real tick prints
      // only what it committed.
      if dryRun, let rows = result.queuedRows { try Outbox(db).forEach(queuedIn: rows, session.printer.print) }
      return result
    }
    if !dryRun, let rows = result.queuedRows {
      try database.read { db in try Outbox(db).forEach(queuedIn: rows, session.printer.print) }
    }
    return result
  }
  try session.printer.flush()
  session.messages.info(
    "tick at \(session.now): \(result.evaluated) incidents looked at, \(result.events) events, "
      + "\(result.queued) notifications queued\(dryRun ? " (dry run: nothing was changed)" : "")")
  return result
}
