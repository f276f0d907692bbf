import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Alert: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Raise and clear alerts for modes over the risk thresholds (run from cron).",
      discussion: """
        A mode is over the line when its RPN is above --rpn-over or its Action Priority is at least --ap (defaults from the policy's fmea.alert: RPN > 120 or AP = H). Accepted and closed modes never are. An alert is raised once when a mode crosses, and cleared once when it falls back; each is an fmea.alert record, an event on the mode and a notification in the shared outbox ('itsm-escalate notify' delivers it) to the mode's owner, else its service's owner team, else fmea.alert.notify. A second run changes nothing.

        Exit status: 3 with --check when any mode is over the line, raised now or before.

        Example crontab:
          0 7 * * * itsm-fmea alert -q >> /var/log/itsm/fmea-alerts.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Option(help: "Alert when the RPN is above this (else the policy's, 120).") var rpnOver: Int?
    @Option(help: "Alert when the Action Priority is at least this: H, M, L or none (else the policy's, H).")
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
        let threshold: ActionPriority?? = ap.map {
          $0.lowercased() == "none" ? nil : ActionPriority(rawValue: $0.uppercased())
        }
        let run = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            try FMEAStore(db).alert(
              rules: session.policy.fmea, rpnOver: rpnOver, actionPriority: threshold, policy: session.policy,
              now: session.now, context: session.context(source: "alert"))
          }
        }
        for record in run.changes { try session.printer.print(record) }
        session.messages.info(
          "\(run.over) modes over the line; \(run.changes.count) alerts raised or cleared, \(run.queued.count) notifications queued"
            + (dryRun.dryRun ? " (dry run: nothing was changed)" : ""))
        try session.printer.finish()
        if check && run.over > 0 { throw ExitCode(3) }
      }
    }
  }
}
