import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Forecast: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Seats needed per app by month, from a hiring plan and today's adoption.",
      discussion: """
        The plan is JSON Lines: {"month":"2027-01","department":"sales","hires":12,"leavers":3} (department optional). Seats needed = today's assignments + the net hires so far x the app's adoption (the share of active accounts, of that department when given, holding the app). One license.forecast record per app and month, with the gap to the seats purchased.

        Example:
          itsm-license forecast --headcount plan-2027.jsonl --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("The hiring plan (JSON Lines).", valueName: "file")) var headcount: String

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        var plan: [LicenseReports.PlanMonth] = []
        let reader = try LineReader(path: headcount)
        _ = try RecordStream().run(
          reader, decode: LicenseReports.planMonth, apply: { row, _ in plan.append(row) }, onReject: { _, _, _ in })
        for record in try withReports(session, { try $0.forecast(plan) }) { try session.printer.print(record) }
        try session.printer.finish()
      }
    }
  }
}
