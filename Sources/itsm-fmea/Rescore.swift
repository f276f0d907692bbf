import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Rescore: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Score a failure mode again, with the reason.",
      discussion: """
        Scores not given stay as they are. The evaluation (old and new scores, who, when, why) joins the mode's history; a review that confirms the scores is recorded too. Prints the mode.

        Exit status: 1 when there is no such mode; 64 when a score is not a whole number from 1 to 10.

        Example:
          itsm-fmea rescore FM-3 --d 3 --reason "queue depth alert added"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The failure mode id.") var id: String
    @OptionGroup var scores: ScoreOptions
    @Option(help: "Why; kept with the evaluation.") var reason: String

    func validate() throws { try requireText(reason, flag: "--reason") }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let mode = try withMode(global, id: id, dryRun: dryRun.dryRun) { store, mode in
          let next = FMEAScores(
            severity: scores.severity ?? mode.scores.severity, occurrence: scores.occurrence ?? mode.scores.occurrence,
            detection: scores.detection ?? mode.scores.detection)
          return try store.rescore(
            mode, to: next, reason: reason, now: session.now, context: session.context(source: "cli"))
        }
        try session.printer.print(mode.record)
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.finish()
      }
    }
  }
}
