import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Resume: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Resume work on an incident that is on hold.",
      discussion: """
        Example:
          itsm-incident resume INC-7
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .resume) }
  }
}
