import Foundation
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// A running `itsm-incident alert --listen 127.0.0.1:0`, found by the port it announces.
final class Receiver {
  let process = Process()
  let sandbox: Sandbox
  let errPath: String
  let outPath: String
  private(set) var port = 0

  init(_ sandbox: Sandbox, _ arguments: [String] = []) throws {
    self.sandbox = sandbox
    let tag = UUID().uuidString
    errPath = sandbox.path("receiver-\(tag).err")
    outPath = sandbox.path("receiver-\(tag).out")
    FileManager.default.createFile(atPath: errPath, contents: nil)
    FileManager.default.createFile(atPath: outPath, contents: nil)
    process.executableURL = Sandbox.binaries.appendingPathComponent("itsm-incident")
    process.arguments = ["alert", "--listen", "127.0.0.1:0"] + arguments
    process.environment = sandbox.environment
    process.currentDirectoryURL = sandbox.folder
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outPath))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline && process.isRunning {
      if let match = stderr.firstMatch(of: /listening on http:\/\/127\.0\.0\.1:(\d+)\/alerts/) {
        port = Int(match.1)!
        return
      }
      usleep(20_000)
    }
    throw ReceiverError.notListening(stderr)
  }

  enum ReceiverError: Error {
    case notListening(String)
    case didNotStop(String)
  }

  var stderr: String { (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? "" }
  var stdout: String { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }

  /// Sends SIGTERM and waits for the exit status.
  func stop() throws -> Int32 {
    kill(process.processIdentifier, SIGTERM)
    let deadline = Date().addingTimeInterval(30)
    while process.isRunning && Date() < deadline { usleep(20_000) }
    if process.isRunning {
      kill(process.processIdentifier, SIGKILL)
      throw ReceiverError.didNotStop(stderr)
    }
    return process.terminationStatus
  }

  deinit {
    if process.isRunning { kill(process.processIdentifier, SIGKILL) }
  }

  /// POSTs with a small Python client: each body its own connection, all at once. Prints one JSON
  /// line per request: {"i", "status", "body"}; status 0 when the connection failed.
  func post(_ bodies: [String], path: String = "/alerts") throws -> [(status: Int, body: [String: Any])] {
    let input = try sandbox.write(
      "bodies-\(UUID().uuidString).jsonl",
      bodies.map { String(decoding: try! JSONSerialization.data(withJSONObject: [$0]), as: UTF8.self) }
        .joined(separator: "\n") + "\n")
    let result = try sandbox.run(
      "/usr/bin/python3", ["-c", Receiver.client, String(port), path, input])
    #expect(result.status == 0, "client: \(result.stderr)")
    return result.records.sorted { ($0["i"] as! Int) < ($1["i"] as! Int) }.map {
      ($0["status"] as! Int, ($0["body"] as? [String: Any]) ?? [:])
    }
  }

  static let client = #"""
    import asyncio, json, resource, sys
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    port, path, source = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    bodies = [json.loads(line)[0] for line in open(source)]

    async def post(i, body):
        data = body.encode()
        try:
            reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 60)
            writer.write((f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data)
            await writer.drain()
            response = await asyncio.wait_for(reader.read(), 60)
            writer.close()
            head, _, text = response.partition(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = {"raw": text.decode("utf-8", "replace")}
            return {"i": i, "status": status, "body": parsed}
        except Exception as error:
            return {"i": i, "status": 0, "body": {"error": repr(error)}}

    async def main():
        results = await asyncio.gather(*(post(i, b) for i, b in enumerate(bodies)))
        for r in results:
            print(json.dumps(r))

    asyncio.run(main())
    """#
}

@Suite("itsm-incident alert --listen: the Alertmanager webhook receiver, over real HTTP")
struct AlertReceiverTests {
  static func payload(fingerprint: String, service: String = "mail", status: String = "firing") -> String {
    #"{"version":"4","groupKey":"{}:{alertname=\"QueueHigh\"}","status":"\#(status)","receiver":"itsm","commonLabels":{},"alerts":[{"status":"\#(status)","labels":{"alertname":"QueueHigh","service":"\#(service)","severity":"critical"},"annotations":{"summary":"Queue high on \#(fingerprint)"},"startsAt":"2026-11-02T09:00:00Z","endsAt":"2026-11-02T09:30:00Z","fingerprint":"\#(fingerprint)"}]}"#
  }

  @Test func aPayloadIsCommittedBeforeItsAnswerAndAResolvedOneResolves() throws {
    let s = try Sandbox()
    let receiver = try Receiver(s, ["--now", "2026-11-02T09:05:00Z"])
    var answers = try receiver.post([Self.payload(fingerprint: "fp-1")])
    #expect(answers[0].status == 200)
    #expect(answers[0].body["status"] as? String == "committed")
    let touched = answers[0].body["incidents"] as? [[String: Any]]
    #expect(touched?.first?["outcome"] as? String == "opened")
    // The answer came after the commit: another process reads the incident right away.
    let id = touched?.first?["id"] as? String ?? "?"
    var shown = try s.incident(["show", id])
    #expect(shown.status == 0, "\(shown.stderr)")
    #expect(shown.records.first?["title"] as? String == "Queue high on fp-1")
    #expect(shown.records.first?["priority"] as? String == "P1")
    answers = try receiver.post([Self.payload(fingerprint: "fp-1", status: "resolved")])
    #expect((answers[0].body["incidents"] as? [[String: Any]])?.first?["outcome"] as? String == "resolved")
    shown = try s.incident(["show", id])
    #expect(shown.records.first?["status"] as? String == "resolved")
    #expect(try receiver.stop() == 0)
    // stdout carries the incidents each committed payload touched, as JSON Lines.
    #expect(receiver.stdout.split(separator: "\n").count == 2)
    #expect(receiver.stderr.contains("stopped; 2 payloads (2 alerts) committed, 0 refused"))
  }

  @Test func aBurstOfAThousandConcurrentPostsIsAllCommittedAndNothingTwice() throws {
    let s = try Sandbox()
    let receiver = try Receiver(s)
    // 1,000 payloads over 250 fingerprints: each fingerprint arrives four times, concurrently.
    let bodies = (0..<1000).map { Self.payload(fingerprint: "burst-\($0 % 250)", service: "svc\($0 % 7)") }
    let answers = try receiver.post(bodies)
    #expect(answers.count == 1000)
    let failed = answers.filter { $0.status != 200 }
    #expect(failed.isEmpty, "\(failed.prefix(3))")
    #expect(try receiver.stop() == 0)
    let check = try s.run(
      "/usr/bin/python3",
      [
        "-c",
        """
        import sqlite3, sys
        c = sqlite3.connect(sys.argv[1])
        print(c.execute("SELECT count(*), count(DISTINCT dedup_key), sum(alert_count) FROM incidents").fetchone())
        print(c.execute("SELECT count(*) FROM events WHERE type IN ('opened', 'alert')").fetchone())
        print(c.execute("PRAGMA integrity_check").fetchone())
        """, s.database,
      ])
    // One incident per fingerprint, every alert counted once, every alert one event.
    #expect(check.stdout == "(250, 250, 1000)\n(1000,)\n('ok',)\n", "\(check.stderr)")
  }

  @Test func aMalformedOrIncompletePayloadGets400WithAReasonAndChangesNothing() throws {
    let s = try Sandbox()
    let receiver = try Receiver(s)
    _ = try receiver.post([Self.payload(fingerprint: "keep")])
    let before = try s.snapshot()
    let answers = try receiver.post([
      #"{"version":"4","alerts":[{"status":"firing""#,
      #"{"version":"4","status":"firing"}"#,
      #"{"version":"4","alerts":[{"status":"firing","annotations":{"summary":"x"}}]}"#,
      #"[1,2]"#,
      "",
    ])
    #expect(answers.map(\.status) == [400, 400, 400, 400, 400])
    #expect((answers[0].body["reason"] as? String)?.contains("invalid JSON") == true, "\(answers[0].body)")
    #expect((answers[1].body["reason"] as? String)?.contains("no alerts[]") == true)
    #expect((answers[2].body["reason"] as? String)?.contains("fingerprint or labels") == true)
    #expect(answers.allSatisfy { $0.body["status"] as? String == "refused" })
    // An endpoint other than /alerts is not the receiver.
    #expect(try receiver.post([Self.payload(fingerprint: "x")], path: "/other")[0].status == 404)
    #expect(try s.snapshot() == before)
    #expect(try receiver.stop() == 0)
    #expect(receiver.stderr.contains("POST /alerts: 400 not an Alertmanager payload: no alerts[]"))
  }

  @Test func sigtermStopsGracefullyAndEveryAnsweredPayloadIsCommitted() throws {
    let s = try Sandbox()
    let receiver = try Receiver(s)
    let bodies = (0..<400).map { Self.payload(fingerprint: "term-\($0)") }
    let port = receiver.port
    // The burst goes on in the background while SIGTERM arrives.
    let input = try s.write(
      "term.jsonl",
      bodies.map { String(decoding: try! JSONSerialization.data(withJSONObject: [$0]), as: UTF8.self) }
        .joined(separator: "\n") + "\n")
    let client = Process()
    client.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    client.arguments = ["-c", Receiver.client, String(port), "/alerts", input]
    let answersFile = s.path("term-answers.jsonl")
    FileManager.default.createFile(atPath: answersFile, contents: nil)
    client.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: answersFile))
    try client.run()
    // SIGTERM once some payloads are committed (printed) and others are surely still coming.
    let deadline = Date().addingTimeInterval(60)
    while receiver.stdout.split(separator: "\n").count < 20 && Date() < deadline { usleep(5_000) }
    #expect(try receiver.stop() == 0)
    client.waitUntilExit()
    let answers = try String(contentsOfFile: answersFile, encoding: .utf8).split(separator: "\n").compactMap {
      try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
    }
    #expect(answers.count == 400)
    let acknowledged = Set(
      answers.filter { $0["status"] as? Int == 200 }.map { "alertmanager:term-\($0["i"] as! Int)" })
    let stored = try s.run(
      "/usr/bin/python3",
      [
        "-c",
        "import sqlite3,sys\nfor (k,) in sqlite3.connect(sys.argv[1]).execute('SELECT dedup_key FROM incidents'): print(k)",
        s.database,
      ])
    let committed = Set(stored.stdout.split(separator: "\n").map(String.init))
    // Every 200 was committed; nothing is stored that was not answered 200 (no half-done work).
    #expect(acknowledged.count >= 20)
    #expect(acknowledged.isSubset(of: committed))
    #expect(committed.isSubset(of: acknowledged))
    #expect(receiver.stderr.contains("stopped;"))
  }

  @Test func aDatabaseLockedPastTheTimeoutIs503AndNothingIsKept() throws {
    let s = try Sandbox()
    _ = try s.open("Existing")
    s.environment["ITSM_BUSY_TIMEOUT"] = "1s"
    let receiver = try Receiver(s)
    // Another writer holds the database for 4 s.
    let holder = Process()
    holder.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
    holder.arguments = [
      "-c",
      "import sqlite3, sys, time\nc = sqlite3.connect(sys.argv[1], isolation_level=None)\nc.execute('BEGIN IMMEDIATE')\nprint('locked', flush=True)\ntime.sleep(4)\nc.execute('COMMIT')",
      s.database,
    ]
    let lockedFile = s.path("holder.out")
    FileManager.default.createFile(atPath: lockedFile, contents: nil)
    holder.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: lockedFile))
    try holder.run()
    let deadline = Date().addingTimeInterval(30)
    while (try? String(contentsOfFile: lockedFile, encoding: .utf8))?.contains("locked") != true && Date() < deadline {
      usleep(10_000)
    }
    let refused = try receiver.post([Self.payload(fingerprint: "while-locked")])
    #expect(refused[0].status == 503)
    #expect((refused[0].body["reason"] as? String)?.contains("busy") == true, "\(refused[0].body)")
    holder.waitUntilExit()
    #expect(try s.incident(["list", "--format", "jsonl"]).records.count == 1)
    // Alertmanager's retry, once the lock is gone, is committed.
    #expect(try receiver.post([Self.payload(fingerprint: "while-locked")])[0].status == 200)
    #expect(try s.incident(["list", "--format", "jsonl"]).records.count == 2)
    #expect(try receiver.stop() == 0)
  }

  @Test func badListenArgumentsAreUsageErrorsAndATakenPortIsAnIOError() throws {
    let s = try Sandbox()
    var r = try s.incident(["alert", "--listen", "nowhere"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--listen 'nowhere': expected HOST:PORT"))
    r = try s.incident(["alert", "--listen", "127.0.0.1:99999"])
    #expect(r.status == 64)
    r = try s.incident(["alert", "--listen", "127.0.0.1:0", "--input", "alerts.jsonl"])
    #expect(r.status == 64)
    #expect(r.stderr.contains("--input"))
    r = try s.incident(["alert", "--listen", "127.0.0.1:0", "--dry-run"])
    #expect(r.status == 64)
    let receiver = try Receiver(s)
    r = try s.incident(["alert", "--listen", "127.0.0.1:\(receiver.port)"])
    #expect(r.status == 74, "\(r.stderr)")
    #expect(r.stderr.contains("cannot listen on 127.0.0.1:\(receiver.port)"))
    #expect(try receiver.stop() == 0)
  }
}
