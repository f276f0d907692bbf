import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Update: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Change fields of an incident.",
      discussion: """
        Settable fields: \(FieldAssignment.settable.joined(separator: ", ")). An empty value clears an optional field. '--set priority=P1' overrides the matrix; '--set priority=matrix' derives it again from impact and urgency. Priority changes are recorded as their own 'priority_changed' events.

        Example:
          itsm-incident update INC-7 --set impact=1 --set users_affected=1200 --set tags.customer=acme
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The incident id.") var id: String
    @Option(
      name: .customLong("set"), help: ArgumentHelp("A change, field=value; repeat for more.", valueName: "field=value"))
    var assignments: [String] = []

    func validate() throws {
      if assignments.isEmpty { throw ValidationError("give at least one '--set field=value'") }
      for text in assignments {
        do { _ = try FieldAssignment(parsing: text) } catch let error as ITSMError {
          throw ValidationError(error.messages.joined())
        }
      }
    }

    func run() throws {
      let parsed = try assignments.map(FieldAssignment.init(parsing:))
      try runLifecycle(global, id: id, dryRun: dryRun.dryRun, .update(parsed))
    }
  }
}
