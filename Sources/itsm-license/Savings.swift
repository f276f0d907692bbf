import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Savings: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Potential savings (open cases) against realized ones (reclaimed or downgraded in the period).",
      discussion: """
        One license.savings record for the month, quarter or year that holds --now: potential_monthly (the seats of open cases), realized_monthly (seats reclaimed, and the difference of downgrades, closed in the period), and both annualized.

        Example:
          itsm-license savings --period quarter
        """)

    enum Period: String, ExpressibleByArgument, CaseIterable { case month, quarter, year }

    @OptionGroup var global: GlobalOptions
    @Option(help: "month, quarter or year.") var period: Period = .month

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let chosen: ReportPeriod
        switch period {
        case .month: chosen = .month(of: session.now)
        case .quarter: chosen = .quarter(of: session.now)
        case .year: chosen = .year(of: session.now)
        }
        try session.printer.print(try withReports(session) { try $0.savings(period: chosen) })
        try session.printer.finish()
      }
    }
  }
}
