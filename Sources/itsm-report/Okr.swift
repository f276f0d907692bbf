import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Okr: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "okr",
      abstract: "The policy's key results over a quarter or a month: actual, target, met.",
      discussion: """
        One 'okr' record per key result of the policy (okr.key_results), with counted (the incidents it is measured over), hits, actual (hits / counted), target and met. A key result with nothing to count has no actual and no verdict.

        Measures: resolved_within (incidents first resolved in the period, of a priority if given, within a time of opening), acknowledged_within (incidents opened in the period), opened_within (incidents opened in the period within a time of their impact start, for those that record one), shift_left (incidents first resolved in the period at support tier L0 or L1).

        The defaults are the example of an AMS governance case: 100 % of P1 resolved within 90 min, 95 % of P2 within 160 min, 93 % of P3 within 2 days, 40 % resolved at L0/L1, 95 % created within 20 min of detection.

        Exit status: 3 with --check when a key result with data misses its target.

        Examples:
          itsm-report okr --period 2026Q4 --format table
          itsm-report okr --period 2026-10 --check
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var records: ReportInput

    @Option(
      help: ArgumentHelp("A quarter (2026Q4) or a month (2026-10); else the quarter of --now.", valueName: "period"))
    var period: String?

    @Flag(help: "Exit 3 when a key result misses its target.")
    var check = false

    func validate() throws {
      if let period, ReportPeriod(parsing: period) == nil {
        throw ValidationError("'--period' takes a quarter such as 2026Q4 or a month such as 2026-10, not '\(period)'")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["okr": columns])
        let chosen = period.flatMap(ReportPeriod.init(parsing:)) ?? ReportPeriod.quarter(of: session.now)
        var calculator = OKRCalculator(period: chosen, keyResults: session.policy.keyResults)
        if let input = records.input {
          try records.forEachFacts(input, session: session) { calculator.add($0) }
        } else {
          // Resolutions in the period of incidents opened well before it count too.
          let lookBack = Timestamp(seconds: chosen.start.seconds - 90 * 86_400)
          try forEachStoredFacts(session, since: lookBack, resolvedSince: chosen.start, until: chosen.end) {
            calculator.add($0)
          }
        }
        for record in calculator.records() { try session.printer.print(record) }
        try session.printer.finish()
        let missed = calculator.missed()
        if check && missed > 0 {
          Messages.writeError("\(ITSMReport.toolName): \(missed) key results missed their target in \(chosen)")
          throw ExitCode(3)
        }
      }
    }

    private var columns: [Column] {
      [
        Column("period", "period"), Column("key result", "name", .wrap(44)), Column("counted", "counted"),
        Column("actual", "actual", .percent), Column("target", "target", .percent), Column("met", "met"),
      ]
    }
  }
}
