import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Reclaim: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Walk the open cases one step: notify, wait the grace period, reclaim or downgrade (cron).",
      discussion: """
        Each step happens once: a departed account's seat is reclaimed at once, whatever its case was opened for; an exempt account, an inactive or never-used one active again within the app's inactivity window, or an unassigned one that the directory now lists, is kept; a candidate's manager gets one notification (kind notification, through the outbox that 'itsm-escalate notify' delivers; to licenses.notify when the account has no manager) and the grace period starts (licenses.grace_period, 14d); a notified case past its grace period is reclaimed (the assignment removed), or downgraded when licenses.apps.APP.downgrade names a lower SKU with a price among the apps (departed, unassigned and duplicate seats are always reclaimed). A second run at the same time does nothing.

        Prints what it did (kind license.action). Exit status: 3 with --check when cases are still open.

        Example crontab:
          0 2 * * * itsm-license flag -q && itsm-license reclaim -q >> /var/log/itsm/license-actions.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Flag(help: "Exit 3 when cases are still open.") var check = false

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let (result, open, records) = try withLicenses(session, source: "reclaim", dryRun: dryRun.dryRun) { store in
          let result = try store.reclaim(rules: session.policy.licenses)
          // Made while the transaction commits, printed once it has.
          let records = session.printer.prepare(result.actions) { $0.record }
          return (result, try store.openCases(), records)
        }
        try session.printer.print(records)
        session.messages.info(
          "\(result.actions.count) steps taken, \(result.queued) notifications queued, \(open) cases open"
            + (dryRun.dryRun ? " (dry run: nothing was changed)" : ""))
        try session.printer.finish()
        if check && open > 0 { throw ExitCode(3) }
      }
    }
  }
}
