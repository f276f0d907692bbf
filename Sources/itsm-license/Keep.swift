import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Keep: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Keep a seat: close an open case as kept, with the reason.",
      discussion: """
        The seat is not flagged again for 90 days. Exit status: 1 when the case does not exist or is closed.

        Example:
          itsm-license keep LC-17 --reason "on parental leave until March"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The case id.") var id: String
    @Option(help: "Why; recorded on the case.") var reason: String

    func validate() throws { try requireText(reason, flag: "--reason") }

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let kept = try withLicenses(session, source: "cli", dryRun: dryRun.dryRun) { store in
          try store.keep(try store.requireCase(id), by: "manual", reason: reason)
        }
        try session.printer.print(kept.record)
        try session.printer.finish()
      }
    }
  }
}
