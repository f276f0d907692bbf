import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Derive: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Propose Occurrence and Detection from the incident history.",
      discussion: """
        For each open or mitigating mode, counts its incidents opened in the window (those naming it in failure_mode, else those of its service whose root cause is its cause; canceled ones left out) and proposes:
          Occurrence from the yearly rate: weekly or more 10, twice a month 9, monthly 8, every other month 7, quarterly 6, twice a year 5, yearly 4, rarer 3, never seen 2.
          Detection from how each incident was found: automated_remediation 1, pre_deploy_gate 2, synthetic_check 3, canary 4, slo_burn_alert 5, monitoring_alert 6, manual_check 7, user_report 9; the mean, rounded, one worse when the median time to acknowledge is over an hour. Unchanged when no incident says how it was found.
        Each fmea.proposal record carries its basis (counts, the yearly rate, detection sources, median MTTA). --apply records the changed ones as evaluations with that basis; applying again changes nothing.

        Examples:
          itsm-fmea derive --format table
          itsm-fmea derive --window 180d --apply | jq -c 'select(.changed)'
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: ArgumentHelp("How far back to look (else the policy's fmea.window, 365d).", valueName: "duration"))
    var window: String?
    @Flag(help: "Record the changed proposals as evaluations.") var apply = false
    @OptionGroup var dryRun: DryRunOption
    @Option(help: "Only the modes of this service.") var service: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let (since, days) = try windowStart(window, session: session)
        let derive = { (store: FMEAStore) throws -> [FMEAProposal] in
          let modes = try store.all(service: service).filter { $0.status.isActive }
          let histories = try FMEAHistory.scan(
            store.database, store.db, modes: modes, since: since, until: session.now, policy: session.policy,
            environment: global.environment)
          return zip(modes, histories).map { FMEAProposal(mode: $0, history: $1, windowDays: days) }
        }
        let proposals: [FMEAProposal]
        if apply {
          let database = try global.openDatabaseForWriting()
          proposals = try database.write(dryRun: dryRun.dryRun) { db in
            let store = FMEAStore(db, database: database)
            let proposals = try derive(store)
            let context = session.context(source: "derive")
            for p in proposals where p.changed {
              try store.rescore(
                p.mode, to: p.proposed, reason: "derived from incident history (\(Int(days.rounded()))d)",
                basis: p.basis, now: session.now, context: context)
            }
            return proposals
          }
        } else {
          proposals = try withRegister(global, empty: [], derive)
        }
        let applied = apply && !dryRun.dryRun
        for p in proposals { try session.printer.print(p.record(applied: applied && p.changed)) }
        let changed = proposals.filter(\.changed).count
        session.messages.info(
          "\(proposals.count) modes looked at, \(changed) "
            + (applied
              ? "rescored"
              : "would change" + (apply ? " (dry run: nothing was changed)" : " (give --apply to record them)")))
        try session.printer.finish()
      }
    }
  }
}
