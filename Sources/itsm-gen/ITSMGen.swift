import ArgumentParser
import Foundation
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
        itsm-gen licenses --accounts 300 --out licenses/
      """,
    version: ITSMVersion.current,
    subcommands: [Incidents.self, PolicyFile.self, FailureModes.self, Catalog.self, Licenses.self, ServiceNow.self])
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

extension ITSMGen {
  struct Licenses: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Write license demo data into a folder: apps.jsonl, accounts.jsonl, assignments.jsonl, activity.jsonl and activity.csv.",
      discussion: """
        Activity is one m365 snapshot a week per account (--snapshots of them, the last at --end): about 15 % of the accounts drifted away more than 35 days ago, 2 % never used it, 3 % departed, 2 % are new hires.
        """)

    @Option(help: "The random seed.") var seed: UInt64 = 42
    @Option(help: "How many accounts.") var accounts: Int = 300
    @Option(help: "How many weekly activity snapshots.") var snapshots: Int = 4
    @Option(help: ArgumentHelp("The last snapshot.", valueName: "timestamp")) var end: String = "2026-11-01T00:00:00Z"
    @Option(help: ArgumentHelp("The folder to write into (created).", valueName: "folder")) var out: String

    func validate() throws {
      if accounts < 1 { throw ValidationError("'--accounts' must be 1 or more") }
      if snapshots < 1 { throw ValidationError("'--snapshots' must be 1 or more") }
      guard TimestampParser.parseAbsolute(end) != nil else { throw ValidationError("'--end' must be a timestamp") }
    }

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        func file(_ name: String) throws -> (StandardOutput, Int32) {
          let fd = open(out + "/" + name, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
          guard fd >= 0 else { throw ITSMError.io("cannot write \(out)/\(name)") }
          return (StandardOutput(fd: fd), fd)
        }
        let data = DemoLicenses(
          accounts: accounts, snapshots: snapshots, seed: seed, end: TimestampParser.parseAbsolute(end)!)
        var bytes: [UInt8] = []
        func line(_ o: JSONObject, _ out: StandardOutput) throws {
          bytes.removeAll(keepingCapacity: true)
          JSONSerializer.append(o, to: &bytes)
          bytes.append(0x0A)
          try out.append(bytes)
        }
        let files = try ["apps.jsonl", "accounts.jsonl", "assignments.jsonl", "activity.jsonl", "activity.csv"].map(
          file)
        try data.apps { try line($0, files[0].0) }
        try files[4].0.append("account,app,last_active_at,observed_at\n")
        try data.generate(
          accounts: { try line($0, files[1].0) }, assignments: { try line($0, files[2].0) },
          activity: { account, app, last, observed in
            var o = JSONObject([JSONField("kind", .string("license.activity"))])
            o.add("account", .string(account))
            o.add("app", .string(app))
            o.add("last_active_at", last.map { .string($0.rfc3339) })
            o.add("observed_at", .string(observed.rfc3339))
            try line(o, files[3].0)
            try files[4].0.append("\(account),\(app),\(last?.rfc3339 ?? ""),\(observed.rfc3339)\n")
          })
        for (output, fd) in files {
          try output.flush()
          close(fd)
        }
      }
    }
  }
}

extension ITSMGen {
  struct ServiceNow: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "servicenow",
      abstract: "Print a ServiceNow incident audit-history export (CSV) for benchmarks.",
      discussion: """
        Each incident has 3 to 10 rows (sys_mod_count 0, 1, ...): New, In Progress, reassignments and priority changes, Resolved, and mostly Closed; dates in the instance format yyyy-MM-dd HH:mm:ss. About 150,000 incidents make 1,000,000 rows.
        """)

    @Option(help: "The random seed.") var seed: UInt64 = 42
    @Option(help: "How many incidents.") var incidents: Int = 1000

    func run() throws {
      try CommandRunner.run(tool: "itsm-gen") {
        let output = StandardOutput()
        try output.append(
          "number,short_description,incident_state,priority,impact,urgency,category,cmdb_ci,assignment_group,assigned_to,opened_at,sys_updated_at,sys_mod_count,reassignment_count,reopen_count,made_sla,contact_type,resolved_at,closed_at\n"
        )
        var r = SeededRandom(seed: seed)
        let groups = ["Service Desk", "Messaging", "Network", "Data", "Identity"]
        let start: Int64 = 1_767_225_600  // 2026-01-01
        func date(_ s: Int64) -> String {
          let t = Timestamp(seconds: s).rfc3339
          return String(t.prefix(10)) + " " + String(t.dropFirst(11).prefix(8))
        }
        for n in 0..<incidents {
          let service = DemoData.services[n % DemoData.services.count]
          let opened = start + Int64(n) * 180 + Int64(r.next() % 120)
          let rows = 3 + Int(r.next() % 8)
          var at = opened
          var group = "Service Desk"
          var assignee = ""
          var priority = 2 + Int(r.next() % 3)
          var reassigned = 0
          var resolvedAt: Int64?
          var closedAt: Int64?
          for k in 0..<rows {
            var state = "In Progress"
            if k == 0 {
              state = "New"
            } else if k == rows - 1 && rows > 3 {
              state = "Closed"
              closedAt = at
              if resolvedAt == nil { resolvedAt = at }
            } else if k == rows - 2 {
              state = "Resolved"
              resolvedAt = at
            } else if k > 1 {
              if r.chance(0.5) {
                group = r.pick(groups)
                reassigned += 1
              } else {
                priority = max(1, priority - 1)
              }
            }
            if k >= 1 && assignee.isEmpty { assignee = r.pick(DemoData.people) }
            let labels = ["", "1 - Critical", "2 - High", "3 - Moderate", "4 - Low", "5 - Planning"]
            let line =
              "INC\(1_000_000 + n),\"\(service.name) \(r.pick(DemoData.symptoms))\",\(state),\(labels[priority]),2 - Medium,2 - Medium,Software,\(service.name),\(group),\(assignee),\(date(opened)),\(date(at)),\(k),\(reassigned),0,true,\(r.chance(0.5) ? "Monitoring" : "Phone"),\(resolvedAt.map(date) ?? ""),\(closedAt.map(date) ?? "")\n"
            try output.append(line)
            at += 60 + Int64(r.next() % 3600)
          }
        }
        try output.flush()
      }
    }
  }
}
