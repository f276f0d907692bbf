import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print the append-only event log.",
      discussion: """
        Events are never changed or deleted; 'seq' only grows, so a consumer can resume with --after-seq from the last one it saw.

        Examples:
          itsm-incident events --incident INC-7
          itsm-incident events --after-seq "$(cat last-seq)" | tee -a audit.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only events after this sequence number.") var afterSeq: Int64?
    @Option(help: "Only the events of this incident.") var incident: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Only events at or after this time.", valueName: "timestamp"))
    var since: String?
    @Option(help: "Print at most this many.") var limit: Int?

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
        var filter = EventFilter()
        filter.afterSeq = afterSeq
        filter.since = try parseTimeFlag(since, flag: "--since", now: session.now)
        filter.limit = limit
        let database = try global.openDatabaseForReading()
        try database.read { db in
          let store = IncidentStore(db, policy: session.policy)
          if let incident { filter.incident = try store.require(id: incident) }
          try store.forEachEvent(filter) { try session.printer.print($0.record) }
        }
        try session.printer.finish()
      }
    }
  }
}
