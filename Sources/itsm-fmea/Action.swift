import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Action: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Recommended actions against a failure mode.",
      discussion: """
        Examples:
          itsm-fmea action add FM-3 --text "alert on relay queue depth" --owner ana --due 2026-12-15
          itsm-fmea action done FM-3 1
          itsm-fmea rescore FM-3 --d 3 --reason "queue depth alert in place (action 1)"
        """,
      subcommands: [AddAction.self, Done.self])
  }

  struct AddAction: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "add",
      abstract: "Add a recommended action; an open mode becomes mitigating.",
      discussion: """
        Prints the action (kind fmea.action) with its number, which 'action done' takes.

        Exit status: 1 when there is no such mode.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The failure mode id.") var id: String
    @Option(help: "What to do.") var text: String
    @Option(help: "Who does it.") var owner: String
    @Option(help: ArgumentHelp("When it is due: a date or a timestamp.", valueName: "date")) var due: String

    func validate() throws {
      try requireText(text, flag: "--text")
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let dueAt = try parseTimeFlag(due, flag: "--due", now: session.now)
        let (mode, action) = try withMode(global, id: id, dryRun: dryRun.dryRun) { store, mode in
          try store.addAction(
            to: mode, text: text, owner: given(owner), due: dueAt, now: session.now,
            context: session.context(source: "cli"))
        }
        try session.printer.print(Show.actionRecord(action, mode: mode))
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.finish()
      }
    }
  }

  struct Done: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Mark a recommended action done.",
      discussion: """
        Marking an action done again changes nothing. Rescore the mode afterwards so that its history shows the scores before and after the action.

        Exit status: 1 when there is no such mode or action.
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Argument(help: "The failure mode id.") var id: String
    @Argument(help: "The action number.") var action: Int

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let (mode, done) = try withMode(global, id: id, dryRun: dryRun.dryRun) { store, mode in
          (mode, try store.completeAction(action, of: mode, now: session.now, context: session.context(source: "cli")))
        }
        if let done {
          try session.printer.print(Show.actionRecord(done, mode: mode))
        } else {
          session.messages.info("\(id) action \(action) is done already")
          try session.printer.print(Show.actionRecord(mode.actions.first { $0.number == action }!, mode: mode))
        }
        try session.printer.finish()
      }
    }
  }
}
