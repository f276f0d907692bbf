import Foundation
import Testing

/// What one run of a built itsm executable printed and returned.
struct RunResult {
  var status: Int32
  var stdout: String
  var stderr: String

  /// The stdout lines parsed as JSON objects.
  var records: [[String: Any]] {
    stdout.split(separator: "\n").compactMap {
      try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
  }
}

/// Runs the built binaries end to end in a private temporary folder with its own database.
final class Sandbox {
  let folder: URL
  var environment: [String: String]

  static let binaries: URL = {
    if let dir = ProcessInfo.processInfo.environment["ITSM_BIN_DIR"] { return URL(fileURLWithPath: dir) }
    var url = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    while url.path != "/" {
      url.deleteLastPathComponent()
      if FileManager.default.isExecutableFile(atPath: url.appendingPathComponent("itsm-incident").path) { return url }
    }
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    return root.appendingPathComponent(".build/debug")
  }()

  init() throws {
    folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    environment = [
      "PATH": "/usr/bin:/bin", "HOME": folder.path, "ITSM_DB": folder.appendingPathComponent("itsm.db").path,
      "ITSM_ACTOR": "tester", "XDG_CONFIG_HOME": folder.appendingPathComponent("config").path, "LANG": "C.UTF-8",
    ]
  }

  deinit { try? FileManager.default.removeItem(at: folder) }

  var database: String { environment["ITSM_DB"]! }

  func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

  @discardableResult
  func write(_ name: String, _ text: String) throws -> String {
    try Data(text.utf8).write(to: folder.appendingPathComponent(name))
    return path(name)
  }

  @discardableResult
  func write(_ name: String, bytes: [UInt8]) throws -> String {
    try Data(bytes).write(to: folder.appendingPathComponent(name))
    return path(name)
  }

  /// Runs `tool args...` with `stdin`, waiting for it to end.
  func run(_ tool: String, _ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult
  {
    let process = Process()
    process.executableURL =
      tool.hasPrefix("/") ? URL(fileURLWithPath: tool) : Sandbox.binaries.appendingPathComponent(tool)
    process.arguments = arguments
    process.environment = environment.merging(env) { $1 }
    process.currentDirectoryURL = folder
    let outFile = folder.appendingPathComponent("stdout-\(UUID().uuidString)")
    let errFile = folder.appendingPathComponent("stderr-\(UUID().uuidString)")
    FileManager.default.createFile(atPath: outFile.path, contents: nil)
    FileManager.default.createFile(atPath: errFile.path, contents: nil)
    let out = try FileHandle(forWritingTo: outFile)
    let err = try FileHandle(forWritingTo: errFile)
    process.standardOutput = out
    process.standardError = err
    let input = Pipe()
    process.standardInput = input
    try process.run()
    if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
    try input.fileHandleForWriting.close()
    process.waitUntilExit()
    try out.close()
    try err.close()
    defer {
      try? FileManager.default.removeItem(at: outFile)
      try? FileManager.default.removeItem(at: errFile)
    }
    return RunResult(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: outFile), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: errFile), as: UTF8.self))
  }

  func incident(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult {
    try run("itsm-incident", arguments, stdin: stdin, env: env)
  }

  func escalate(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult {
    try run("itsm-escalate", arguments, stdin: stdin, env: env)
  }

  func fmea(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult {
    try run("itsm-fmea", arguments, stdin: stdin, env: env)
  }

  func license(_ arguments: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> RunResult {
    try run("itsm-license", arguments, stdin: stdin, env: env)
  }

  /// Runs a shell pipeline with the binaries on PATH.
  func shell(_ script: String) throws -> RunResult {
    var env = environment
    env["PATH"] = Sandbox.binaries.path + ":" + (environment["PATH"] ?? "")
    return try run("/bin/bash", ["-c", script], env: env)
  }

  /// Everything the database holds, as text: two equal snapshots mean nothing changed.
  func snapshot() throws -> String {
    guard FileManager.default.fileExists(atPath: database) else { return "<no database>" }
    let result = try run(
      "/usr/bin/python3",
      [
        "-c",
        """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        for t in ('incidents', 'events', 'counters', 'policy_versions', 'escalation_state', 'notifications',
                  'failure_modes', 'license_apps', 'license_accounts', 'license_assignments', 'license_activity',
                  'license_cases'):
            try:
                for r in c.execute('SELECT * FROM ' + t + ' ORDER BY 1'):
                    print(t, repr(r))
            except sqlite3.OperationalError as e:
                print(t, 'missing', e)
        """, database,
      ])
    return result.stdout + result.stderr
  }
}

extension Sandbox {
  /// Opens an incident at a fixed time and returns its id.
  func open(
    _ title: String = "Mail delayed", service: String = "mail", at now: String = "2026-11-01T09:00:00Z",
    extra: [String] = []
  )
    throws -> String
  {
    let result = try incident(
      ["open", "--title", title, "--service", service, "--impact", "2", "--urgency", "2", "--now", now] + extra)
    #expect(result.status == 0, "open failed: \(result.stderr)")
    return result.records.first?["id"] as? String ?? ""
  }
}
