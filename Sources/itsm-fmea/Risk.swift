import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Risk: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The remediation order: Action Priority, then RPN weighted by business impact.",
      discussion: """
        For each open or mitigating mode: score = RPN x tier weight (vital 4, critical 3, important 2, deferrable 1) x exposure, where exposure = 1 + log10(1 + cost / 1000) and cost is the lost productivity of its incidents over the policy's fmea.window (365d), priced at the service's hourly cost. Ordered by Action Priority, then score. Each fmea.risk record has the rank, incidents, lost hours, cost and score.

        Example:
          itsm-fmea risk --format table | head -20
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only the modes of this service.") var service: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let entries = try withRegister(global, empty: []) { store in
          try rankedRisks(store, modes: try store.all(service: service).filter { $0.status.isActive }, session: session)
        }
        for (rank, entry) in entries.enumerated() {
          try session.printer.print(entry.record(rank: rank + 1, currency: session.policy.currency))
        }
        try session.printer.finish()
      }
    }
  }
}
