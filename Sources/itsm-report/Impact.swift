import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Impact: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "What outages cost: lost user-hours and their price, per impact type, service or month.",
      discussion: """
        Over the incidents opened in [--since, --until), one 'impact' record per group, most costly first: incidents, with_loss (those with users affected and a resolution, which is what a loss needs), users_affected, productivity_loss_hours (users affected x minutes from impact start, else opening, to resolution) and financial_impact (lost hours x the policy's hourly cost for the service), in the policy's currency.

        Examples:
          itsm-report impact --since -90d --format table
          itsm-report impact --by service --by month --since 2026-07-01
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var window: ReportWindow
    @OptionGroup var records: ReportInput

    @Option(name: .customLong("by"), help: "Group by this (default impact_type); repeat for more.")
    var dimensions: [MetricDimension] = []

    func validate() throws {
      if Set(dimensions).count != dimensions.count { throw ValidationError("each '--by' may be given once") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let groups = dimensions.isEmpty ? [MetricDimension.impactType] : dimensions
        let columns =
          groups.map { Column($0.rawValue, "group.\($0.rawValue)") } + [
            Column("incidents", "incidents"), Column("with loss", "with_loss"), Column("users", "users_affected"),
            Column("lost hours", "productivity_loss_hours"), Column("cost", "financial_impact"),
            Column("currency", "currency"),
          ]
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["impact": columns])
        let window = try window.resolve(now: session.now)
        var calculator = ImpactCalculator(since: window.since, until: window.until, dimensions: groups)
        try forEachFacts(global, session: session, records: records, since: window.since, until: window.until) {
          calculator.add($0)
        }
        for record in calculator.records(currency: session.policy.currency) { try session.printer.print(record) }
        try session.printer.finish()
      }
    }
  }

  struct Repeats: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "What keeps coming back: the same service and root cause within a window.",
      discussion: """
        An incident is a repeat when an incident of the same service with the same root cause (compared trimmed and case-blind) opened within --window before it. One 'repeat' record per service and cause with repeats opened in [--since, --until), most repeats first: the incidents involved (ids), repeats, first and last opening, and their lost hours and cost. The database is searched back one window before --since.

        Examples:
          itsm-report repeats --since -90d --format table
          itsm-report repeats --window 7d | jq -r '.ids | join(" ")'
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var opened: ReportWindow
    @OptionGroup var records: ReportInput

    @Option(help: ArgumentHelp("How close an earlier incident must be for a repeat.", valueName: "duration"))
    var window: String = "30d"

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let columns = [
          Column("service", "service"), Column("root cause", "root_cause", .wrap(40)), Column("repeats", "repeats"),
          Column("incidents", "incidents"), Column("first", "first_opened_at", .time),
          Column("last", "last_opened_at", .time), Column("lost hours", "productivity_loss_hours"),
          Column("cost", "financial_impact"),
        ]
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["repeat": columns])
        let span: DurationValue
        do {
          span = try DurationValue.parse(window)
        } catch let error as ITSMError {
          throw ITSMError.usage("--window: \(error.messages.joined())")
        }
        let bounds = try opened.resolve(now: session.now)
        var finder = RepeatFinder(since: bounds.since, until: bounds.until, window: span)
        let lookBack = bounds.since.map { Timestamp(seconds: $0.seconds - span.seconds) }
        try forEachFacts(global, session: session, records: records, since: lookBack, until: bounds.until) {
          finder.add($0)
        }
        for record in finder.records(currency: session.policy.currency) { try session.printer.print(record) }
        try session.printer.finish()
      }
    }
  }
}
