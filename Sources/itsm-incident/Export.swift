import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Export incidents as JSON Lines that 'import' reads back unchanged.",
      discussion: """
        The same filters as 'list'. The export is lossless: 'export | import' into another database gives the same incidents.

        Examples:
          itsm-incident export > incidents.jsonl
          itsm-incident export --service mail | itsm-report metrics --input -
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var filters: FilterOptions

    func run() throws {
      var options = global
      if options.format == .auto { options.format = .jsonl }
      try printIncidents(options, filters)
    }
  }
}
