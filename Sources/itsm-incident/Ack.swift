import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Ack: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "ack",
      abstract: "Acknowledge an incident (the first acknowledgement starts nothing twice).",
      discussion: """
        Acknowledging an incident that is already acknowledged changes nothing and says so; acknowledging a resolved, closed or canceled one fails with exit 1.

        Example:
          itsm-incident ack INC-7
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id (INC-7, or just 7).") var id: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .acknowledge) }
  }
}
