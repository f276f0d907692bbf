import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The daily digest a team reads at 9:00: opened, resolved, still open P1/P2, SLA breaches, hot spots.",
      discussion: """
        For one UTC day (--day, else the day before --now): incidents opened (per priority) and resolved, lost user-hours and cost, each beside the day before; the P1 and P2 incidents still open, with age and owner (assignee, else team); the SLA clocks that breached that day; and the three services with the most incidents.

        With --format markdown (or table, on a terminal) it prints Markdown that pastes well into a chat; as JSON Lines, one record of kind 'summary' (report 'daily').

        Examples:
          itsm-report summary --format markdown
          itsm-report summary --day 2026-11-02 | jq .open_urgent
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var records: ReportInput

    @Option(help: ArgumentHelp("The day to report (yyyy-mm-dd, UTC); else the day before --now.", valueName: "date"))
    var day: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName)
        let start: Timestamp
        if let day {
          guard day.count == 10, let parsed = TimestampParser.parseAbsolute(day) else {
            throw ITSMError.usage("--day: '\(day)' is not a date (yyyy-mm-dd)")
          }
          start = parsed
        } else {
          start = Timestamp(seconds: (session.now.seconds / 86_400 - 1) * 86_400)
        }
        var digest = DailySummary(day: start, now: session.now, rules: session.policy.escalation.sla)
        let end = start + DurationValue(seconds: 86_400)
        if let input = records.input {
          let maker = IncidentFactsMaker(policy: session.policy)
          try records.forEachIncident(input, session: session) { incident in
            digest.add(maker.facts(of: incident))
            digest.addOpen(incident)
          }
        } else {
          let longest = session.policy.escalation.sla.targets.values.map(\.resolution.seconds).max() ?? 0
          let database = try global.openDatabaseForReading()
          try database.read { db in
            let store = IncidentStore(db, policy: session.policy)
            try store.forEachFacts(
              since: Timestamp(seconds: start.seconds - 86_400 - longest),
              resolvedSince: Timestamp(seconds: start.seconds - 86_400),
              until: end, firstHumanAction: false, database: database, environment: global.environment
            ) { digest.add($0) }
            var filter = IncidentFilter()
            filter.statuses = IncidentStatus.openStates
            filter.priorities = [.p1, .p2]
            try store.forEach(filter) { digest.addOpen($0) }
          }
        }
        switch global.resolvedFormat {
        case .markdown, .table:
          let output = StandardOutput()
          try output.append(digest.markdown(currency: session.policy.currency))
          try output.flush()
        default:
          try session.printer.print(digest.record(currency: session.policy.currency))
          try session.printer.finish()
        }
      }
    }
  }
}
