import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Note: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Add a note to an incident's timeline.",
      discussion: """
        Example:
          itsm-incident note INC-7 "Failover to the secondary relay started"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Argument(help: "The note.") var text: String

    func run() throws { try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .note(text)) }
  }
}
