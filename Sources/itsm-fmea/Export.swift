import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print every failure mode as JSON Lines (kind fmea.mode), ready for 'import'.",
      discussion: """
        Example:
          itsm-fmea export > register.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only the modes of this service.") var service: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let modes = try withRegister(global, empty: []) { try $0.all(service: service) }
        for mode in modes { try session.printer.print(mode.record) }
        try session.printer.finish()
      }
    }
  }
}
