import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Close: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Close a resolved incident.",
      discussion: """
        By default the policy requires a root cause and resolution notes; a refusal says exactly which is missing (exit 1).

        Example:
          itsm-incident close INC-7
          itsm-incident close INC-8 --root-cause "expired certificate" --resolution "renewed it"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(help: "What caused it, if not given at resolve.") var rootCause: String?
    @Option(help: "What restored service, if not given at resolve.") var resolution: String?

    func run() throws {
      try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .close(rootCause: rootCause, resolution: resolution))
    }
  }
}
