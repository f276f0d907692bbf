import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Cases: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Reclamation cases, optionally in one state.",
      discussion: """
        States: candidate, notified (open), kept, reclaimed, downgraded.

        Example:
          itsm-license cases --state notified --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only cases in this state.") var state: String?

    func validate() throws {
      if let state, !["candidate", "notified", "kept", "reclaimed", "downgraded"].contains(state) {
        throw ValidationError("unknown state '\(state)' (expected candidate, notified, kept, reclaimed or downgraded)")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let cases = try session.global.openDatabaseForReading().read { db in
          try LicenseStore(db, context: session.context(source: "cli"), now: session.now).cases(state: state)
        }
        for c in cases { try session.printer.print(c.record) }
        try session.printer.finish()
      }
    }
  }
}
