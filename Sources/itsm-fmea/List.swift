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
          case .ap: return modes.sorted { List.byAP($0.scores, $1.scores, $0.id, $1.id) }
          case .rpn: return modes.sorted { List.byRPN($0.scores, $1.scores, $0.id, $1.id) }
          }
        }
        for mode in modes { try session.printer.print(mode.record) }
        try session.printer.finish()
      }
    }

    static func byAP(_ a: FMEAScores, _ b: FMEAScores, _ idA: String, _ idB: String) -> Bool {
      if a.actionPriority != b.actionPriority { return a.actionPriority > b.actionPriority }
      if a.rpn != b.rpn { return a.rpn > b.rpn }
      return idA < idB
    }

    static func byRPN(_ a: FMEAScores, _ b: FMEAScores, _ idA: String, _ idB: String) -> Bool {
      if a.rpn != b.rpn { return a.rpn > b.rpn }
      if a.actionPriority != b.actionPriority { return a.actionPriority > b.actionPriority }
      return idA < idB
    }
  }
}
