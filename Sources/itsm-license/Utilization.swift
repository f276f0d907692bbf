import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Utilization: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Purchased, assigned and active seats, and the monthly cost of idle and unassigned ones.",
      discussion: """
        Active: a last activity within the app's inactivity window, the person not departed. Idle: the other seats of accounts the app's activity exports list; unobserved: seats of accounts no export lists (neither active nor idle). One license.utilization record per app, SKU or department (departments have no purchased seats).

        Example:
          itsm-license utilization --by sku --format table
        """)

    enum By: String, ExpressibleByArgument, CaseIterable { case app, sku, department }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Group by app, sku or department.") var by: By = .app

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        for record in try withReports(session, { try $0.utilization(by: by.rawValue) }) {
          try session.printer.print(record)
        }
        try session.printer.finish()
      }
    }
  }
}
