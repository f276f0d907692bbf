import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Spof: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Single points of failure: services whose loss alone takes down a vital or critical service.",
      discussion: """
        Each service of the catalog is taken away in turn, and the loss spreads to every service with a depends_on entry that has no alternative left (an entry 'db-a|db-b' survives the loss of one of them). A service is a single point of failure when a vital or critical service other than itself goes down with it. Each fmea.spof record names the vital and critical services cut off, whether one of them needs it directly with no alternative (single_dependency), its blast radius (every service lost, with tiers) and the failure modes registered on it (service or component of that name). Most services cut off first.

        Exit status: 78 when the catalog has a dependency cycle (its path is named).

        Example:
          itsm-fmea spof --format table
        """)

    @OptionGroup var global: GlobalOptions

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let graph = try ServiceGraph(policy: session.policy)
        let found = graph.singlePointsOfFailure()
        var modesByName: [String: [FailureMode]] = [:]
        for mode in try withRegister(global, empty: [], { try $0.all() }) {
          modesByName[mode.service, default: []].append(mode)
          if mode.component != mode.service { modesByName[mode.component, default: []].append(mode) }
        }
        for spof in found {
          try session.printer.print(graph.record(spof, modes: modesByName[graph.names[spof.component]] ?? []))
        }
        try session.printer.finish()
      }
    }
  }
}
