import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Hold: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Put an incident on hold (the SLA clock may pause, by policy).",
      discussion: """
        Example:
          itsm-incident hold INC-7 --reason \"waiting for the vendor\"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(help: "Why it waits (for a vendor, a change window...).") var reason: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .hold(reason: reason)) }
  }
}
