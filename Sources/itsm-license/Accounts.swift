import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Accounts: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Accounts with the apps they hold and their last activity in each.",
      discussion: """
        Example:
          itsm-license accounts --app m365 --inactive --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only accounts holding this app.") var app: String?
    @Flag(help: "Only accounts inactive in at least one app they hold.") var inactive = false

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        for record in try withReports(session, { try $0.accounts(app: app, inactiveOnly: inactive) }) {
          try session.printer.print(record)
        }
        try session.printer.finish()
      }
    }
  }
}
