import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Slo: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "slo",
      abstract: "Availability per service against its objective: error budget, burn rates, alert state.",
      discussion: """
        One 'slo' record per service (the catalog's, and any other with incidents), at --now over the policy's rolling window (slo.window, 30 days by default):

        availability = 1 - weighted downtime / window. Each incident is down from its impact start (else opening) to its first resolution (else now; a reopen does not extend it), weighted by its outage level: the tag outage=major|partial|degraded, else impact 1, 2, 3; weights 1.0, 0.3 and 0.0 by default (slo.weights). Overlapping incidents are merged first; where they overlap the heaviest counts.

        target: the service's slo, else its tier's (vital 99.95 %, critical 99.9 %, important 99.5 %, deferrable 99 %). error_budget_min = (1 - target) x window; budget_spent_min, budget_remaining_min and _ratio follow.

        burn_rate_1h, _6h, _3d, _30d: the error ratio over that window / (1 - target). alert: page when the burn is at least 14.4 over 1 h and 5 min, or 6 over 6 h and 30 min; ticket when at least 1 over 3 days and 6 h; else none.

        Exit status: 3 with --check when a budget is exhausted or a service pages.

        Examples:
          itsm-report slo --format table
          itsm-report slo --service payments --check
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var records: ReportInput

    @Option(help: "Only this service.")
    var service: String?

    @Flag(help: "Exit 3 when an error budget is exhausted or a burn rate pages.")
    var check = false

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let columns = [
          Column("service", "service"), Column("tier", "tier"), Column("target", "target"),
          Column("availability", "availability", .percent), Column("budget", "error_budget_min", .minutes),
          Column("spent", "budget_spent_min", .minutes), Column("left", "budget_remaining_ratio", .percent),
          Column("burn 1h", "burn_rate_1h"), Column("burn 6h", "burn_rate_6h"), Column("burn 3d", "burn_rate_3d"),
          Column("burn 30d", "burn_rate_30d"), Column("alert", "alert"),
        ]
        let session = try CommandSession(global, tool: ITSMReport.toolName, views: ["slo": columns])
        var calculator = SLOCalculator(policy: session.policy, now: session.now)
        if let input = records.input {
          try records.forEachIncident(input, session: session) { incident in
            if let i = ImpactInterval(incident) { calculator.add(i) }
          }
        } else {
          try global.openDatabaseForReading().read { db in
            try IncidentStore(db, policy: session.policy).forEachImpactInterval(
              since: calculator.earliest, until: session.now
            ) { calculator.add($0) }
          }
        }
        let records = calculator.records(only: service)
        if let service, records.isEmpty {
          throw ITSMError.operationFailed("no service '\(service)' in the catalog or in the incidents")
        }
        for record in records { try session.printer.print(record) }
        try session.printer.finish()
        let failing = records.filter { $0["alert"] == .string("page") || $0["budget_exhausted"] == .bool(true) }
        if check && !failing.isEmpty {
          Messages.writeError(
            "\(ITSMReport.toolName): \(failing.count) services page or have exhausted their error budget")
          throw ExitCode(3)
        }
      }
    }
  }
}
