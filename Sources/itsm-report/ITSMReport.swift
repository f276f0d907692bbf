import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMReport: ITSMTool {
  static let toolName = "itsm-report"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract: "The numbers operations is judged by: time to acknowledge and to restore, rates, lost hours and cost.",
    discussion: """
      Reports read the database, or incident records on stdin (--input -), so that an analyst can filter with jq in between.

      Examples:
        itsm-report metrics --since -30d --by priority --format table
        itsm-report metrics --by service --by month --variant restore
        itsm-incident export --service mail | itsm-report metrics --input -
      """,
    version: ITSMVersion.current,
    subcommands: [
      Metrics.self, Sla.self, Okr.self, Impact.self, Repeats.self, Trends.self, Summary.self, Slo.self, Health.self,
    ])

}

extension MTTRVariant: ExpressibleByArgument {}
extension MetricDimension: ExpressibleByArgument {}
