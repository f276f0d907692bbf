import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Alert: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Raise and clear alerts for modes over the risk thresholds (run from cron).",
      discussion: """
        A mode is over the line when its RPN is above the policy's fmea.alert.rpn_over or its Action Priority is at least fmea.alert.action_priority (defaults: RPN > 120 or AP = H). Accepted and closed modes never are. An alert is raised once when a mode crosses, and cleared once when it falls back; each is an fmea.alert record, an event on the mode and a notification in the shared outbox ('itsm-escalate notify' delivers it) to the mode's owner, else its service's owner team, else fmea.alert.notify. A second run changes nothing.

        --rpn-over and --ap ask with other thresholds: they print every mode over them (state over) and change nothing, so that the alert state keeps following the policy.

        Exit status: 3 with --check when any mode is over the line, raised now or before.

        Example crontab:
          0 7 * * * itsm-fmea alert -q >> /var/log/itsm/fmea-alerts.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Option(help: "Ask which modes have an RPN above this (changes nothing).") var rpnOver: Int?
    @Option(help: "Ask which modes have an Action Priority of at least this: H, M, L or none (changes nothing).")
    var ap: String?
    @Flag(help: "Exit 3 when any mode is over the line.") var check = false

    func validate() throws {
      if let rpnOver, !(0...1000).contains(rpnOver) { throw ValidationError("'--rpn-over' must be 0 to 1000") }
      if let ap, ap.lowercased() != "none", ActionPriority(rawValue: ap.uppercased()) == nil {
        throw ValidationError("'--ap' must be H, M, L or none, got '\(ap)'")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        var rules = session.policy.fmea
        if let rpnOver { rules.alertRPNOver = rpnOver }
        if let ap {
          rules.alertActionPriority = ap.lowercased() == "none" ? nil : ActionPriority(rawValue: ap.uppercased())
        }
        let asking = rules != session.policy.fmea
        let run: FMEAAlertRun
        if asking {
          // Other thresholds than the policy's: a question. Raising or clearing with them
          // would be undone by the next scheduled run.
          run = try withRegister(global, empty: FMEAAlertRun()) { try $0.over(rules: rules, now: session.now) }
        } else {
          run = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
            try database.write(dryRun: dryRun.dryRun) { db in
              try FMEAStore(db).alert(
                rules: rules, policy: session.policy, now: session.now, context: session.context(source: "alert"))
            }
          }
        }
        for record in run.records { try session.printer.print(record) }
        session.messages.info(
          asking
            ? "\(run.over) modes over these thresholds (a question: alerts follow the policy's, nothing was changed)"
            : "\(run.over) modes over the line; \(run.records.count) alerts raised or cleared, \(run.queued.count) notifications queued"
              + (dryRun.dryRun ? " (dry run: nothing was changed)" : ""))
        try session.printer.finish()
        if check && run.over > 0 { throw ExitCode(3) }
      }
    }
  }
}
