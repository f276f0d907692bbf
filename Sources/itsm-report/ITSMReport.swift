import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMReport: ITSMTool {
  static let toolName = "itsm-report"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract: "The numbers operations is judged by, from the terminal to the monthly health report.",
    discussion: """
      metrics (MTTA, MTTR with its variant named, rates, lost hours and cost), sla (attainment per priority), okr (the policy's key results), impact (lost hours and cost), repeats (what keeps coming back), trends (per week or month), slo (availability, error budgets, burn rates), summary (the daily digest) and health (the monthly or quarterly report, HTML or Markdown).

      Reports read the database, and most read incident records on stdin (--input -) too, so that an analyst can filter with jq in between. An empty window prints nothing and exits 0.

      Examples:
        itsm-report metrics --since -30d --by priority --format table
        itsm-report metrics --by service --by month --variant restore
        itsm-incident export --service mail | itsm-report metrics --input -
        itsm-report sla --since 2026-10-01 --until 2026-11-01 --format table
        itsm-report summary --format markdown
        itsm-report health --month 2026-10 --format html --output health.html
      """,
    version: ITSMVersion.current,
    subcommands: [
      Metrics.self, Sla.self, Okr.self, Impact.self, Repeats.self, Trends.self, Summary.self, Slo.self, Health.self,
    ])

}

extension MTTRVariant: ExpressibleByArgument {}
extension MetricDimension: ExpressibleByArgument {}
