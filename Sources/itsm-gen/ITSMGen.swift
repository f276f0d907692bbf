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
        itsm-gen fmea | itsm-fmea import --policy demo-policy.yaml
        itsm-gen catalog --services 10000 --dependencies 50000 > catalog.yaml
      """,
    version: ITSMVersion.current,
    subcommands: [Incidents.self, PolicyFile.self, FailureModes.self, Catalog.self])
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

extension ITSMGen {
  struct FailureModes: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "fmea",
      abstract: "Print failure modes of the demo services as JSON Lines (kind fmea.mode).",
      discussion: """
        Without --count: one per demo service, for the known problem its incidents keep coming back with, scored by judgement. With --count: that many, spread over the services and the causes of the generated incidents.
        """)

    @Option(help: "The random seed.") var seed: UInt64 = 42
    @Option(help: "How many modes (default: one per demo service).") var count: Int?

    func validate() throws {
      if let count, count < 0 { throw ValidationError("'--count' must be 0 or more") }
    }

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        let output = StandardOutput()
        var bytes: [UInt8] = []
        try DemoData.failureModes(count: count, seed: seed) { record in
          bytes.removeAll(keepingCapacity: true)
          JSONSerializer.append(record, to: &bytes)
          bytes.append(0x0A)
          try output.append(bytes)
        }
        try output.flush()
      }
    }
  }

  struct Catalog: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a large layered service catalog as a policy file (for benchmarks).",
      discussion: """
        2 % infrastructure, 8 % platform, 30 % business services and 60 % applications, each depending mostly on the layer below; a fifth of the entries are redundant pairs (a|b).
        """)

    @Option(help: "The random seed.") var seed: UInt64 = 42
    @Option(help: "How many services.") var services: Int = 10_000
    @Option(help: "About how many depends_on entries in all.") var dependencies: Int = 50_000

    func validate() throws {
      if services < 50 { throw ValidationError("'--services' must be 50 or more") }
      if dependencies < 0 { throw ValidationError("'--dependencies' must be 0 or more") }
    }

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        let output = StandardOutput()
        try output.append(DemoData.catalogYAML(services: services, dependencies: dependencies, seed: seed))
        try output.flush()
      }
    }
  }
}
