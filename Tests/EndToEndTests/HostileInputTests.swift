import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Input from outside that means harm or is simply broken: SQL through filter flags, a full
/// disk, a read-only database, files made readable by others.
@Suite("Hostile input, full disks and permissions, end to end")
struct HostileInputTests {
  static let fragments = [
    "x' OR '1'='1", "\"; DROP TABLE incidents; --", "mail') OR 1=1 --", "%", "_", "mail' --", "*",
    "1; DELETE FROM events", "\\", "' UNION SELECT * FROM sqlite_master --",
  ]

  /// Every flag that filters or names a field, with a value that is SQL: nothing matches, nothing
  /// changes, nothing breaks. A value a flag cannot take is a usage error.
  @Test func sqlFragmentsThroughEveryFilterFlagNeverReachSQL() throws {
    let s = try Sandbox()
    s.environment["ITSM_POLICY"] = try s.write("policy.yaml", try s.run("itsm-gen", ["policy"]).stdout)
    _ = try s.open("Mail delayed")
    _ = try s.open("Disk full", service: "db-core")
    #expect(try s.fmea(["import", "-q"], stdin: try s.run("itsm-gen", ["fmea"]).stdout).status == 0)
    let folder = s.path("licenses")
    #expect(try s.run("itsm-gen", ["licenses", "--accounts", "20", "--out", folder]).status == 0)
    for kind in ["apps", "accounts", "assignments"] {
      #expect(try s.license(["import", kind, "-q", "--input", "\(folder)/\(kind).jsonl"]).status == 0)
    }
    let before = try s.snapshot()
    var commands: [(String, [String])] = []
    for value in Self.fragments {
      for flag in ["--status", "--priority", "--service", "--team", "--region", "--sort", "--since", "--until"] {
        commands.append(("itsm-incident", ["list", flag, value]))
        commands.append(("itsm-incident", ["export", flag, value]))
      }
      commands.append(("itsm-incident", ["events", "--incident", value]))
      commands.append(("itsm-incident", ["show", value]))
      commands.append(("itsm-incident", ["ack", value, "--dry-run"]))
      for flag in ["--service", "--status", "--sort"] { commands.append(("itsm-fmea", ["list", flag, value])) }
      for sub in ["deps", "risk", "worksheet", "export"] { commands.append(("itsm-fmea", [sub, "--service", value])) }
      commands.append(("itsm-fmea", ["show", value]))
      commands.append(("itsm-license", ["accounts", "--app", value]))
      commands.append(("itsm-license", ["cases", "--state", value]))
      commands.append(("itsm-report", ["metrics", "--by", value]))
      commands.append(("itsm-report", ["metrics", "--since", value]))
      commands.append(("itsm-report", ["slo", "--service", value]))
    }
    for (tool, arguments) in commands {
      let r = try s.run(tool, arguments + ["--format", "jsonl"])
      // 0 with nothing found, 1 not found, 64 a value the flag cannot take, 65 bad data.
      #expect([0, 1, 64, 65].contains(r.status), "\(tool) \(arguments): exit \(r.status): \(r.stderr)")
      if r.status == 0 {
        let found = r.records.filter { ($0["kind"] as? String) != "summary" }
        #expect(found.isEmpty, "\(tool) \(arguments) matched \(found.count) records: \(r.stdout.prefix(300))")
      }
      #expect(
        !r.stderr.contains("SQLite error") && !r.stderr.contains("syntax error"), "\(tool) \(arguments): \(r.stderr)")
    }
    #expect(try s.snapshot() == before)
    #expect(try s.incident(["list", "--format", "jsonl"]).records.count == 2)
  }

  @Test func aFileSizeLimitDuringAnImportIsExit74AndTheDatabaseIsUnchangedAndUsable() throws {
    let s = try Sandbox()
    _ = try s.open("Before the disk filled")
    let data = try s.run("itsm-gen", ["incidents", "--count", "3000", "--days", "10"]).stdout
    let input = try s.write("big.jsonl", data)
    let before = try s.snapshot()
    // ulimit -f counts 1,024-byte blocks: room for the database, not for 3,000 more incidents.
    let size = (try FileManager.default.attributesOfItem(atPath: s.database)[.size] as? Int) ?? 0
    let r = try s.shell("ulimit -f \(size / 1024 + 150); itsm-incident import --input '\(input)'")
    #expect(r.status == 74, "\(r.stderr)")
    #expect(r.stderr.contains("nothing changed"), "\(r.stderr)")
    #expect(try s.snapshot() == before)
    let after = try s.incident(["open", "--title", "After", "--service", "mail", "--impact", "3", "--urgency", "3"])
    #expect(after.status == 0, "\(after.stderr)")
  }

  @Test func aReadOnlyDatabaseIsAClearExit74() throws {
    let s = try Sandbox()
    _ = try s.open("Existing")
    let before = try s.snapshot()
    // As root every file is writable; the command runs as nobody, who may read but not write.
    // Anyone else is held back by the modes alone.
    let asRoot = geteuid() == 0
    chmod(s.database, asRoot ? 0o644 : 0o444)
    chmod(s.folder.path, asRoot ? 0o755 : 0o555)
    defer { chmod(s.folder.path, 0o755) }
    // A copy inside the sandbox, so that nobody can run it wherever the build folder is.
    let binary = s.path("itsm-incident")
    try FileManager.default.copyItem(
      atPath: Sandbox.binaries.appendingPathComponent("itsm-incident").path, toPath: binary)
    chmod(binary, 0o755)
    let arguments = ["open", "--title", "Refused", "--service", "mail", "--impact", "3", "--urgency", "3"]
    let r =
      asRoot
      ? try s.run("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary] + arguments)
      : try s.run(binary, arguments)
    #expect(r.status == 74, "\(r.stderr)")
    #expect(r.stderr.contains("read-only") || r.stderr.contains("cannot open the database"), "\(r.stderr)")
    #expect(try s.snapshot() == before)
  }

  @Test func theDatabaseAndItsWALFilesAre0600AndThePolicyIsNeverWritten() throws {
    let s = try Sandbox()
    let policy = try s.write("policy.yaml", try s.run("itsm-gen", ["policy"]).stdout)
    chmod(policy, 0o644)
    let stamp = try FileManager.default.attributesOfItem(atPath: policy)[.modificationDate] as? Date
    let text = try String(contentsOfFile: policy, encoding: .utf8)
    s.environment["ITSM_POLICY"] = policy
    let previous = umask(0o022)
    defer { umask(previous) }
    _ = try s.open("Mail delayed")
    // A receiver holds the database open, so its -wal and -shm files exist while we look.
    let receiver = try Receiver(s)
    _ = try receiver.post([AlertReceiverTests.payload(fingerprint: "modes")])
    for suffix in ["", "-wal", "-shm"] {
      let attributes = try FileManager.default.attributesOfItem(atPath: s.database + suffix)
      #expect((attributes[.posixPermissions] as? Int) == 0o600, "\(suffix): \(attributes[.posixPermissions] ?? "")")
    }
    #expect(try receiver.stop() == 0)
    _ = try s.escalate(["tick", "-q"])
    _ = try s.escalate(["policy", "check", policy])
    #expect(try String(contentsOfFile: policy, encoding: .utf8) == text)
    #expect(try FileManager.default.attributesOfItem(atPath: policy)[.modificationDate] as? Date == stamp)
  }
}
