import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Trends: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Incidents, MTTA and MTTR per week or month, with the change against the period before.",
      discussion: """
        One 'trend' record per group and period (every period from the first incident to the last, empty ones included), oldest first: incidents, mtta_mean_min, mttr_mean_min (the variant named), each with its change against the previous period as a fraction (absent when there is nothing to compare with), and a sparkline of the incident counts of up to the last 12 periods. The table shows the sparkline beside the figures.

        Examples:
          itsm-report trends --period month --since 2026-01-01 --format table
          itsm-report trends --period week --by priority --since -12w
        """)

    enum Period: String, ExpressibleByArgument, CaseIterable {
      case week, month
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var window: ReportWindow
    @OptionGroup var records: ReportInput

    @Option(help: "week or month.")
    var period: Period = .month

    @Option(name: .customLong("by"), help: "Also group by this; repeat for more.")
    var dimensions: [MetricDimension] = []

    @Option(help: "Which time to restore MTTR measures.")
    var variant: MTTRVariant = .resolve

    func validate() throws {
      if dimensions.contains(.week) || dimensions.contains(.month) {
        throw ValidationError("give the period with '--period', not '--by'")
      }
      if variant == .respond && records.input != nil {
        throw ValidationError("'--variant respond' needs the event log: read the database, not '--input'")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let columns =
          dimensions.map { Column($0.rawValue, "group.\($0.rawValue)") } + [
            Column(period.rawValue, period.rawValue), Column("incidents", "incidents"),
            Column("change", "incidents_change", .percent), Column("mtta", "mtta_mean_min", .minutes),
            Column("mttr(\(variant.rawValue))", "mttr_mean_min", .minutes), Column("change", "mttr_change", .percent),
            Column("trend", "sparkline"),
          ]
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["trend": columns])
        let window = try window.resolve(now: session.now)
        var builder = TrendBuilder(
          period: period == .week ? .week : .month, dimensions: dimensions, since: window.since, until: window.until,
          variant: variant)
        if let input = records.input {
          try records.forEachFacts(input, session: session) { builder.add($0) }
        } else {
          try forEachStoredFacts(
            session, since: window.since, resolvedSince: nil, until: window.until, firstHumanAction: variant == .respond
          ) { builder.add($0) }
        }
        for record in builder.records() { try session.printer.print(record) }
        try session.printer.finish()
      }
    }
  }
}
