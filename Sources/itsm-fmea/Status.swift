import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Set the state of a failure mode: open, mitigating, accepted or closed.",
      discussion: """
        An accepted risk (management decided to live with it) and a closed mode raise no alerts and are left out of 'derive'; an alert they had is cleared by the next 'alert' run. Adding an action moves an open mode to mitigating by itself. Prints the mode.

        Exit status: 1 when there is no such mode.

        Example:
          itsm-fmea status FM-7 accepted --reason "vendor fix due Q2; CAB accepted the risk"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The failure mode id.") var id: String
    @Argument(help: "The new state: open, mitigating, accepted or closed.") var state: String
    @Option(help: "Why; recorded on the timeline.") var reason: String

    func validate() throws {
      if FailureModeStatus(rawValue: state) == nil {
        throw ValidationError("unknown state '\(state)' (expected open, mitigating, accepted or closed)")
      }
      try requireText(reason, flag: "--reason")
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let mode = try withMode(global, id: id, dryRun: dryRun.dryRun) { store, mode in
          let changed = try store.setStatus(
            mode, to: FailureModeStatus(rawValue: state)!, reason: reason, now: session.now,
            context: session.context(source: "cli"))
          if changed == nil { session.messages.info("\(id) is \(state) already") }
          return changed ?? mode
        }
        try session.printer.print(mode.record)
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.finish()
      }
    }
  }
}
