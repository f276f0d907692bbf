import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Metrics: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "MTTA, MTTR (named variant), reopen, shift-left and repeat rates, lost hours and cost, per group.",
      discussion: """
        Over the incidents opened in [--since, --until) (all of them when no bounds are given), one 'metric' record per group, with these fields.

        incidents, acknowledged, unacknowledged: incidents never acknowledged count as unacknowledged, not as zero minutes.

        mtta_mean_min, mtta_p50_min, mtta_p90_min: opened to the first acknowledgement.

        mttr_variant, mttr_count, mttr_mean_min, mttr_p50_min, mttr_p90_min: resolve = opened to first resolution; restore = impact start (else opened) to first resolution; respond = opened to the first action a person took at the command line (database only; imported incidents have none).

        resolved, reopen_rate, shift_left_rate (resolved at support tier L0/L1): over the incidents first resolved in the window (by week or month of that resolution).

        repeat_rate: same service and root cause as an incident opened up to 30 days before. The database is searched before --since; records on stdin are only compared with each other, so pipe in the 30 days before too.

        productivity_loss_hours and financial_impact: users affected x minutes of impact, priced at the policy's hourly costs.

        Percentiles are exact (linear between the closest ranks); an empty group has no figures rather than zeros. Opening, first acknowledgement and first resolution are the times the timeline recorded: later imports never move them.

        escalation_rate: incidents escalated past level 1 at least once (by itsm-escalate, or with an escalation_level of 2 or more from an import); escalation_timeout_rate and escalation_manual_rate split it by why, when every incident in the group has itsm-escalate's record of it (not for records on stdin).

        Examples:
          itsm-report metrics --since 2026-10-01 --until 2026-11-01 --by priority
          itsm-incident export --since -7d | jq -c 'select(.region=="emea")' | itsm-report metrics --input -
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var window: ReportWindow
    @OptionGroup var records: ReportInput

    @Option(name: .customLong("by"), help: "Group by this (tier is the support tier L0-L3); repeat for more.")
    var dimensions: [MetricDimension] = []

    @Option(help: "Which time to restore MTTR measures.")
    var variant: MTTRVariant = .resolve

    func validate() throws {
      if variant == .respond && records.input != nil {
        throw ValidationError("'--variant respond' needs the event log: read the database, not '--input'")
      }
      if Set(dimensions).count != dimensions.count { throw ValidationError("each '--by' may be given once") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["metric": columns])
        let window = try window.resolve(now: session.now)
        let (dimensions, variant) = (dimensions, variant)
        let make = { @Sendable in
          MetricsCalculator(since: window.since, until: window.until, dimensions: dimensions, variant: variant)
        }
        var calculator = make()
        if let input = records.input {
          try records.forEachFacts(input, session: session) { calculator.add($0) }
        } else {
          let lookBack = window.since.map { Timestamp(seconds: $0.seconds - calculator.repeatWindow.seconds) }
          calculator = try reduceStoredFacts(
            session, since: lookBack, resolvedSince: window.since, until: window.until,
            firstHumanAction: variant == .respond, make)
        }
        for record in calculator.records() { try session.printer.print(record) }
        try session.printer.finish()
      }
    }

    /// Table columns: the groups, then the figures, with the MTTR variant in the headings.
    private var columns: [Column] {
      dimensions.map { Column($0.rawValue, "group.\($0.rawValue)") } + [
        Column("incidents", "incidents"), Column("unacked", "unacknowledged"),
        Column("mtta mean", "mtta_mean_min", .minutes), Column("mtta p50", "mtta_p50_min", .minutes),
        Column("mtta p90", "mtta_p90_min", .minutes),
        Column("mttr(\(variant.rawValue)) mean", "mttr_mean_min", .minutes),
        Column("mttr(\(variant.rawValue)) p50", "mttr_p50_min", .minutes),
        Column("mttr(\(variant.rawValue)) p90", "mttr_p90_min", .minutes),
        Column("reopen", "reopen_rate", .percent), Column("shift-left", "shift_left_rate", .percent),
        Column("repeat", "repeat_rate", .percent), Column("escalated", "escalation_rate", .percent),
        Column("lost hours", "productivity_loss_hours"),
        Column("cost", "financial_impact"),
      ]
    }
  }
}
