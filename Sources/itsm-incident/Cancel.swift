import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Cancel an open incident (a false alarm, a duplicate).",
      discussion: """
        Example:
          itsm-incident cancel INC-9 --reason \"duplicate of INC-7\"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(help: "Why it is canceled.") var reason: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .cancel(reason: reason)) }
  }
}
