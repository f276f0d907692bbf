import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "List failure modes, highest risk first.",
      discussion: """
        --sort ap (the default): Action Priority, then RPN. --sort rpn: RPN, then Action Priority. --sort risk: the order of 'risk' (AP, then RPN weighted by the service tier and the cost of its incidents).

        Examples:
          itsm-fmea list --format table
          itsm-fmea list --service mail --sort rpn
        """)

    enum Sort: String, ExpressibleByArgument, CaseIterable {
      case ap, rpn, risk
    }

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only the modes of this service.") var service: String?
    @Option(help: "Only modes in this state: open, mitigating, accepted or closed.") var status: String?
    @Option(help: "The order: ap, rpn or risk.") var sort: Sort = .ap

    func validate() throws {
      if let status, FailureModeStatus(rawValue: status) == nil {
        throw ValidationError("unknown status '\(status)' (expected open, mitigating, accepted or closed)")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let modes = try withRegister(global, empty: []) { store -> [FailureMode] in
          let modes = try store.all(service: service).filter { status == nil || $0.status.rawValue == status }
          switch sort {
          case .risk: return try rankedRisks(store, modes: modes, session: session).map(\.mode)
          case .ap: return modes.sorted(by: List.byAP)
          case .rpn: return modes.sorted(by: List.byRPN)
          }
        }
        for mode in modes { try session.printer.print(mode.record) }
        try session.printer.finish()
      }
    }

    /// Action Priority, then RPN, then id.
    static func byAP(_ a: FailureMode, _ b: FailureMode) -> Bool {
      FMEAScores.higherRisk(a.scores, b.scores) ?? (a.id < b.id)
    }

    /// RPN, then Action Priority, then id.
    static func byRPN(_ a: FailureMode, _ b: FailureMode) -> Bool {
      if a.scores.rpn != b.scores.rpn { return a.scores.rpn > b.scores.rpn }
      return FMEAScores.higherRisk(a.scores, b.scores) ?? (a.id < b.id)
    }
  }
}
