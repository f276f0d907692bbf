import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Deps: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The service dependency map from the catalog, as records, Graphviz DOT or Mermaid.",
      discussion: """
        Records (kind service) list each service's tier, owner, depends_on as written and direct dependents. With --service, only that service and everything upstream (what it needs) and downstream (what needs it), each with its relation. --format dot and --format mermaid draw the map, filled by tier (vital red to deferrable grey); a dashed 'or' edge is one of redundant alternatives (depends_on: ["db-a|db-b"]).

        Exit status: 78 when the catalog has a dependency cycle (its path is named); 1 when --service is not in the catalog.

        Examples:
          itsm-fmea deps --service payments --format table
          itsm-fmea deps --format dot | dot -Tsvg > services.svg
          itsm-fmea deps --format mermaid >> README.md
        """)

    @OptionGroup var global: GlobalOptions
    @Option(help: "Only this service, with its upstream and downstream.") var service: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(
          global, tool: ITSMFMEA.toolName, views: Views.all, documents: [.dot, .mermaid])
        let graph = try ServiceGraph(policy: session.policy)
        var focus: Int?
        if let service {
          guard let index = graph.index(of: service) else {
            throw ITSMError.operationFailed("service '\(service)' is not in the service catalog")
          }
          focus = index
        }
        switch global.format {
        case .dot: try session.printer.output.append(graph.dot(focus: focus))
        case .mermaid: try session.printer.output.append(graph.mermaid(focus: focus))
        default:
          for (s, relation) in graph.scope(focus: focus) {
            try session.printer.print(graph.record(s, relation: relation))
          }
        }
        try session.printer.finish()
      }
    }
  }
}
