import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Assign: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Hand an incident to a person, a team or a support tier.",
      discussion: """
        A change of assignee or team counts as a reassignment. An acknowledged incident moves to in_progress.

        Example:
          itsm-incident assign INC-7 --to ana --team messaging --tier L2
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(name: .customLong("to"), help: "The new assignee.") var assignee: String?
    @Option(help: "The new team.") var team: String?
    @Option(help: "The new support tier: L0, L1, L2 or L3.") var tier: SupportTier?

    func validate() throws {
      if assignee == nil && team == nil && tier == nil {
        throw ValidationError("give at least one of '--to', '--team' or '--tier'")
      }
    }

    func run() throws {
      try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .assign(assignee: assignee, team: team, tier: tier))
    }
  }
}
