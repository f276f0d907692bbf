import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Resolve: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Resolve an incident: service is restored.",
      discussion: """
        The root cause and resolution notes may come now or at close; closing needs both by default (policy incidents.closure).

        Example:
          itsm-incident resolve INC-7 --root-cause "relay queue full" --resolution "raised the queue limit"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(help: "What caused it.") var rootCause: String?
    @Option(help: "What was done to restore service.") var resolution: String?

    func run() throws {
      try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .resolve(rootCause: rootCause, resolution: resolution))
    }
  }
}
