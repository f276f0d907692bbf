import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show an incident and its timeline.",
      discussion: """
        Prints the incident record, then its events in order.

        Example:
          itsm-incident show INC-7 --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The incident id.") var id: String

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
        let database = try global.openDatabaseForReading()
        try database.read { db in
          let store = IncidentStore(db, policy: session.policy)
          let incident = try store.require(id: id)
          try session.printer.print(incident.record(policy: session.policy))
          var filter = EventFilter()
          filter.incident = incident
          try store.forEachEvent(filter) { event in
            try session.printer.print(event.record)
          }
        }
        try session.printer.finish()
      }
    }
  }
}
