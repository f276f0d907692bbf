import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Exempt: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Exempt an account from reclamation; its open cases are kept.",
      discussion: """
        Exit status: 1 when the account does not exist. Prints the cases it kept.

        Example:
          itsm-license exempt entra:8f1c --reason "board member, rarely signs in"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The account id.") var account: String
    @Option(help: "Why; recorded on the account.") var reason: String

    func validate() throws { try requireText(reason, flag: "--reason") }

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let kept = try withLicenses(session, source: "cli", dryRun: dryRun.dryRun) { store in
          try store.exempt(account: account, reason: reason)
        }
        for c in kept { try session.printer.print(c.record) }
        session.messages.info("\(account) is exempt; \(kept.count) open cases kept")
        try session.printer.finish()
      }
    }
  }
}
