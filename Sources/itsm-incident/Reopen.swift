import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Reopen: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Reopen a resolved or closed incident; its first resolution time is kept.",
      discussion: """
        Example:
          itsm-incident reopen INC-7 --reason \"mail queue backs up again\"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(help: "Why it is reopened.") var reason: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .reopen(reason: reason)) }
  }
}
