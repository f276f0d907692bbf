import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List incidents.",
      discussion: """
        Examples:
          itsm-incident list --open --priority P1,P2
          itsm-incident list --service mail --since -7d --sort opened_at:desc --limit 20
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: FilterOptions

    func run() throws { try printIncidents(global, filters) }
  }
}
