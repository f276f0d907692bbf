import Foundation
import Testing

@Suite("exit codes for broken surroundings, end to end")
struct FailureTests {
  @Test func unwritableDatabaseFolderExits74() throws {
    let s = try Sandbox()
    try s.write("plainfile", "not a folder")
    let r = try s.incident([
      "open", "--title", "t", "--service", "s", "--priority", "P3", "--db", s.path("plainfile/itsm.db"),
    ])
    #expect(r.status == 74)
    #expect(r.stdout == "")
    #expect(r.stderr.contains("plainfile"))
  }

  @Test func lockedDatabaseExits75AndChangesNothing() throws {
    let s = try Sandbox()
    let id = try s.open()
    let before = try s.snapshot()
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    holder.arguments = [
      "-c",
      "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\nprint('locked', flush=True)\ntime.sleep(6)\n",
      s.database,
    ]
    let pipe = Pipe()
    holder.standardOutput = pipe
    try holder.run()
    _ = pipe.fileHandleForReading.availableData
    let r = try s.incident(["ack", id], env: ["ITSM_BUSY_TIMEOUT": "1s"])
    holder.terminate()
    holder.waitUntilExit()
    #expect(r.status == 75)
    #expect(r.stderr.contains("busy"))
    #expect(try s.snapshot() == before)
  }

  @Test func invalidPolicyExits78NamingTheKeyPath() throws {
    let s = try Sandbox()
    let policy = try s.write("policy.yaml", "services:\n  mail:\n    tier: gold\n")
    let r = try s.incident(["open", "--title", "t", "--service", "mail", "--priority", "P3", "--policy", policy])
    #expect(r.status == 78)
    #expect(r.stderr.contains("\(policy):3: services.mail.tier: unknown tier 'gold'"))
    #expect(!FileManager.default.fileExists(atPath: s.database))
  }

  @Test func newerDatabaseIsRefusedUnchanged() throws {
    let s = try Sandbox()
    _ = try s.open()
    _ = try s.run(
      "/usr/bin/python3",
      [
        "-c",
        "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute(\"INSERT INTO grdb_migrations VALUES ('v99-future')\"); c.commit()",
        s.database,
      ])
    let before = try s.snapshot()
    let r = try s.incident(["list"])
    #expect(r.status == 78)
    #expect(r.stderr.contains("written by a newer version of itsm"))
    #expect(try s.snapshot() == before)
  }

  @Test func notADatabaseExits78() throws {
    let s = try Sandbox()
    let path = try s.write("junk.db", String(repeating: "junk", count: 1000))
    let r = try s.incident(["list", "--db", path])
    #expect(r.status == 78)
  }

  @Test func twoProcessesAcknowledgingAtOnceMakeOneAckEvent() throws {
    let s = try Sandbox()
    for round in 1...5 {
      let id = try s.open("race \(round)")
      let r = try s.shell(
        "itsm-incident ack \(id) --now 2026-11-01T09:05:00Z >/dev/null & itsm-incident ack \(id) --now 2026-11-01T09:05:00Z >/dev/null & wait"
      )
      #expect(r.status == 0)
      let acks = try s.incident(["events", "--incident", id]).records.filter { $0["type"] as? String == "acknowledged" }
      #expect(acks.count == 1)
    }
  }
}
