import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show a failure mode, its actions and its scoring history.",
      discussion: """
        Prints the mode (kind fmea.mode, the current scores), each recommended action (kind fmea.action), then every evaluation in order (kind fmea.evaluation: scores, RPN, AP, who, when, why, the basis of derived ones, and how many actions were done by then, so scores before and after an action stand side by side), then the other events of its timeline.

        Exit status: 1 when there is no such mode.

        Example:
          itsm-fmea show FM-3 --format table
        """)

    @OptionGroup var global: GlobalOptions
    @Argument(help: "The failure mode id.") var id: String

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        guard
          let (mode, events) = try withRegister(
            global, empty: nil,
            { store in
              let mode = try store.require(id: id)
              return (mode, try store.events(of: mode))
            })
        else {
          throw ITSMError.operationFailed(
            "no failure mode with id '\(id)' (there is no database at \(global.databasePath) yet)")
        }
        try session.printer.print(mode.record)
        for action in mode.actions { try session.printer.print(Show.actionRecord(action, mode: mode)) }
        var done = 0
        for event in events {
          switch event.type {
          case "scored":
            try session.printer.print(FMEAEvaluation.record(of: event, mode: mode, actionsDone: done))
          case "action_done":
            done += 1
            try session.printer.print(event.record)
          default:
            try session.printer.print(event.record)
          }
        }
        try session.printer.finish()
      }
    }

    static func actionRecord(_ action: RecommendedAction, mode: FailureMode) -> JSONObject {
      var o = JSONObject([JSONField("kind", .string("fmea.action")), JSONField("mode", .string(mode.id))])
      o.fields.append(contentsOf: action.object.fields)
      return o
    }
  }
}
