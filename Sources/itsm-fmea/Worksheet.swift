import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Worksheet: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The classic FMEA worksheet, for a review meeting.",
      discussion: """
        One row per mode, highest Action Priority and RPN first, with the worksheet's columns: ID, service, component, function, failure mode, effect, S, cause, prevention controls, O, detection controls, D, RPN, AP, recommended actions (owner, due, done), owner, status. Give --format csv for a spreadsheet or --format markdown for a wiki page.

        Examples:
          itsm-fmea worksheet --format csv > fmea-review.csv
          itsm-fmea worksheet --service mail --format markdown
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only the modes of this service.") var service: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let modes = try withRegister(global, empty: []) { try $0.all(service: service) }
          .sorted(by: List.byAP)
        for mode in modes { try session.printer.print(mode.worksheetRecord) }
        try session.printer.finish()
      }
    }
  }
}
