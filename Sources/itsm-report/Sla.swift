import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Sla: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sla",
      abstract: "SLA attainment per priority against the policy's targets: met, breached, breached now.",
      discussion: """
        One 'sla.attainment' record per priority (and per --by group), with, for the response clock (opened to the first acknowledgement, or the first resolution when that came first) and the resolution clock (opened to the first resolution, less time on hold as itsm-escalate counted it):

        <clock>_target_min: the policy's target (sla.targets).
        <clock>_counted: clocks that completed or breached in [--since, --until).
        <clock>_met, <clock>_breached, <clock>_attainment: met / counted.

        ever_breached: incidents with a clock breached in the window, stopped late or still running; breached_now: those still running past the target at --now.

        Canceled incidents' unfinished clocks do not count. An empty window prints nothing.

        Examples:
          itsm-report sla --since 2026-10-01 --until 2026-11-01 --format table
          itsm-report sla --since -30d --by service
          itsm-incident export --since -30d | itsm-report sla --input -
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var window: ReportWindow
    @OptionGroup var records: ReportInput

    @Option(name: .customLong("by"), help: "Group by this too (priority always leads); repeat for more.")
    var dimensions: [MetricDimension] = []

    func validate() throws {
      if Set(dimensions).count != dimensions.count { throw ValidationError("each '--by' may be given once") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["sla.attainment": columns])
        let window = try window.resolve(now: session.now)
        var calculator = SLACalculator(
          since: window.since, until: window.until, now: session.now, dimensions: dimensions,
          rules: session.policy.escalation.sla)
        if let input = records.input {
          try records.forEachFacts(input, session: session) { calculator.add($0) }
        } else {
          // A clock can stop or breach well after its incident opened: look back past the
          // longest target.
          let longest = session.policy.escalation.sla.targets.values.map(\.resolution.seconds).max() ?? 0
          let lookBack = window.since.map { Timestamp(seconds: $0.seconds - longest - 30 * 86_400) }
          try forEachStoredFacts(session, since: lookBack, resolvedSince: lookBack, until: window.until) {
            calculator.add($0)
          }
        }
        for record in calculator.records() { try session.printer.print(record) }
        try session.printer.finish()
      }
    }

    private var columns: [Column] {
      ([.priority] + dimensions.filter { $0 != .priority }).map { Column($0.rawValue, "group.\($0.rawValue)") } + [
        Column("incidents", "incidents"),
        Column("response target", "response_target_min", .minutes), Column("counted", "response_counted"),
        Column("met", "response_met"), Column("attained", "response_attainment", .percent),
        Column("resolution target", "resolution_target_min", .minutes), Column("counted", "resolution_counted"),
        Column("met", "resolution_met"), Column("attained", "resolution_attainment", .percent),
        Column("ever breached", "ever_breached"), Column("breached now", "breached_now"),
      ]
    }
  }
}
