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

        Percentiles are exact (linear between the closest ranks); an empty group has no figures rather than zeros. Opening, first acknowledgement and first resolution are the times the timeline recorded: later imports never move them. Escalation rates come with itsm-escalate.

        Examples:
          itsm-report metrics --since 2026-10-01 --until 2026-11-01 --by priority
          itsm-incident export --since -7d | jq -c 'select(.region=="emea")' | itsm-report metrics --input -
        """)

    @OptionGroup var global: GlobalOptions

    @Option(
      parsing: .unconditional, help: ArgumentHelp("Incidents opened at or after this time.", valueName: "timestamp"))
    var since: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Incidents opened before this time.", valueName: "timestamp"))
    var until: String?

    @Option(name: .customLong("by"), help: "Group by this (tier is the support tier L0-L3); repeat for more.")
    var dimensions: [MetricDimension] = []

    @Option(help: "Which time to restore MTTR measures.")
    var variant: MTTRVariant = .resolve

    @Option(
      name: .shortAndLong,
      help: ArgumentHelp(
        "Read incident records from this file ('-' for stdin) instead of the database.", valueName: "file"))
    var input: String?

    @Flag(help: "With --input: skip invalid records, reporting each, instead of failing.")
    var skipInvalid = false

    @Option(
      help: ArgumentHelp("With --skip-invalid, write rejected lines as JSON here (else to stderr).", valueName: "file"))
    var rejects: String?

    func validate() throws {
      if skipInvalid && input == nil { throw ValidationError("'--skip-invalid' needs '--input'") }
      if rejects != nil && !skipInvalid { throw ValidationError("'--rejects' needs '--skip-invalid'") }
      if variant == .respond && input != nil {
        throw ValidationError("'--variant respond' needs the event log: read the database, not '--input'")
      }
      if Set(dimensions).count != dimensions.count { throw ValidationError("each '--by' may be given once") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["metric": columns])
        let window = try parseWindow(since: since, until: until, now: session.now)
        var calculator = MetricsCalculator(
          since: window.since, until: window.until, dimensions: dimensions, variant: variant)
        if let input {
          try readRecords(input, session: session) { calculator.add($0) }
        } else {
          let lookBack = window.since.map { Timestamp(seconds: $0.seconds - calculator.repeatWindow.seconds) }
          try global.openDatabaseForReading().read { db in
            try IncidentStore(db, policy: session.policy).forEachFacts(
              since: lookBack, resolvedSince: window.since, until: window.until, firstHumanAction: variant == .respond
            ) { calculator.add($0) }
          }
        }
        for record in calculator.records() { try session.printer.print(record) }
        try session.printer.finish()
      }
    }

    private func readRecords(_ path: String, session: CommandSession, _ add: (IncidentFacts) -> Void) throws {
      let reader = try LineReader(path: path)
      let sink = skipInvalid ? try RejectSink(path: rejects) : nil
      let decoder = IncidentDecoder(policy: session.policy, now: session.now)
      let policy = session.policy
      let counts = try RecordStream(skipInvalid: skipInvalid).run(
        reader,
        decode: { object in
          guard object["opened_at"] != nil else { throw RecordRejection("missing required field 'opened_at'") }
          return IncidentFacts(try decoder.decode(object).incident, policy: policy)
        },
        apply: { facts, _ in add(facts) },
        onReject: { try sink?.reject(line: $0, reason: $1, input: $2) })
      if skipInvalid { Messages.writeError("\(counts.read - counts.rejected) read, \(counts.rejected) rejected") }
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
        Column("repeat", "repeat_rate", .percent), Column("lost hours", "productivity_loss_hours"),
        Column("cost", "financial_impact"),
      ]
    }
  }
}
