import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMGen: ITSMTool {
  static let configuration = CommandConfiguration(
    commandName: "itsm-gen",
    abstract: "Generate deterministic demo and benchmark data for the itsm tools.",
    discussion: """
      The same seed always gives the same data, on every machine.

      Examples:
        itsm-gen policy > demo-policy.yaml
        itsm-gen incidents --days 90 --seed 42 | itsm-incident import --policy demo-policy.yaml
        itsm-gen incidents --count 1000000 --open 10000 > 1m.jsonl
      """,
    version: ITSMVersion.current,
    subcommands: [Incidents.self, PolicyFile.self])
}

extension ITSMGen {
  struct Incidents: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a realistic incident history as JSON Lines.")

    @Option(help: "The random seed.") var seed: UInt64 = 42
    @Option(help: ArgumentHelp("The end of the history (the newest incidents are open then).", valueName: "timestamp"))
    var end: String = "2026-11-01T00:00:00Z"
    @Option(help: "How many days of history.") var days: Int = 90
    @Option(help: "How many incidents (default: about 25 a day).") var count: Int?
    @Option(help: "How many of the newest incidents are still open.") var open: Int = 25

    func validate() throws {
      guard TimestampParser.parseAbsolute(end) != nil else {
        throw ValidationError("'--end' must be an RFC 3339 timestamp or a date")
      }
      if days < 1 { throw ValidationError("'--days' must be 1 or more") }
      if let count, count < 0 { throw ValidationError("'--count' must be 0 or more") }
      if open < 0 { throw ValidationError("'--open' must be 0 or more") }
    }

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        let output = StandardOutput()
        let data = DemoData(
          seed: seed, end: TimestampParser.parseAbsolute(end)!, days: days, count: count, open: open)
        var bytes: [UInt8] = []
        try data.generate { record in
          bytes.removeAll(keepingCapacity: true)
          JSONSerializer.append(record, to: &bytes)
          bytes.append(0x0A)
          try output.append(bytes)
        }
        try output.flush()
      }
    }
  }

  struct PolicyFile: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "policy", abstract: "Print the demo policy: the service catalog behind the demo data.")

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        let output = StandardOutput()
        try output.append(DemoData.policyYAML)
        try output.flush()
      }
    }
  }
}
