import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Renewals: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Contracts renewing within a window, with utilization and a recommended seat count.",
      discussion: """
        Recommended seats: the active ones, and those of accounts no activity export covers (they cannot be judged), plus 10 % headroom (at least 1); notice_by is the renewal date less the contract's notice days.

        Example:
          itsm-license renewals --within 120d --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("How far ahead to look.", valueName: "duration")) var within: String = "90d"

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let window: DurationValue
        do {
          window = try DurationValue.parse(within)
        } catch let error as ITSMError {
          throw ITSMError.usage("--within: \(error.messages.joined())")
        }
        for record in try withReports(session, { try $0.renewals(within: window) }) {
          try session.printer.print(record)
        }
        try session.printer.finish()
      }
    }
  }
}
