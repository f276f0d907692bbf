import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

extension ITSMEscalate {
  struct Escalate: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Escalate an open incident by hand.",
      discussion: """
        Notifies the targets of the level (the next one by default, at least level 2) of the incident's escalation policy, records an 'escalated' event with reason manual and your text, and prints the notifications queued. The next timed escalation counts from now. Whatever was already due is done first, as a tick would.

        Exit status: 1 when the incident does not exist, is not open, or its policy has no such level.

        Example:
          itsm-escalate escalate INC-7 --reason "customer-facing, need the database team"
          itsm-escalate escalate INC-7 --level 3 --reason "no progress in 2h"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption

    @Argument(help: "The incident id.")
    var id: String

    @Option(help: "The level to escalate to (1 is the first).")
    var level: Int?

    @Option(help: "Why; recorded on the timeline and sent with the notifications.")
    var reason: String

    func validate() throws {
      if let level, level < 1 { throw ValidationError("'--level' must be 1 or more") }
      try requireText(reason, flag: "--reason")
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMEscalate.toolName) {
        let session = try CommandSession(global, tool: ITSMEscalate.toolName, views: Views.all)
        guard FileManager.default.fileExists(atPath: global.databasePath) else {
          throw ITSMError.operationFailed(
            "no incident with id '\(id)' (there is no database at \(global.databasePath) yet)")
        }
        let queued = try global.openDatabaseForWriting().write(dryRun: dryRun.dryRun) { db in
          let incident = try IncidentStore(db, policy: session.policy).require(id: id)
          guard incident.status.isOpen else {
            throw ITSMError.operationFailed(
              "\(incident.id) is \(incident.status.rawValue); only open incidents escalate")
          }
          let store = EscalationStore(db, policy: session.policy, context: session.context(source: "cli"))
          return try store.escalateByHand(EscalationSubject(incident), level: level, reason: reason, now: session.now)
        }
        for notification in queued { try session.printer.print(notification.record) }
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.finish()
      }
    }
  }
}
