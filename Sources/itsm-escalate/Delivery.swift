import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif
#if canImport(Glibc)
  import Glibc
#endif

/// Where `notify` (and `watch`) deliver notifications.
struct DeliveryOptions: ParsableArguments {
  @Option(
    help: ArgumentHelp(
      "Run this shell command once per notification, with the notification JSON on its stdin; exit 0 means delivered.",
      valueName: "command"))
  var exec: String?

  @Option(
    help: ArgumentHelp(
      "POST each notification as JSON, with a chat-friendly 'text' field, to this http(s) URL.", valueName: "url"))
  var webhook: String?

  @Option(help: ArgumentHelp("Give up on one delivery after this long (it is retried later).", valueName: "duration"))
  var timeout: String = "10s"

  func validate() throws {
    if exec != nil && webhook != nil { throw ValidationError("give '--exec' or '--webhook', not both") }
    if let webhook {
      guard let url = URL(string: webhook), let scheme = url.scheme?.lowercased(),
        scheme == "http" || scheme == "https",
        let host = url.host, !host.isEmpty
      else {
        throw ValidationError("'--webhook' needs an http:// or https:// URL, not '\(webhook)'")
      }
    }
    do {
      let value = try DurationValue.parse(timeout)
      if value.seconds <= 0 { throw ValidationError("'--timeout' must be more than zero") }
    } catch let error as ITSMError {
      throw ValidationError("--timeout: \(error.messages.joined())")
    }
  }

  var isGiven: Bool { exec != nil || webhook != nil }

  func deliverer() throws -> Deliverer {
    let seconds = TimeInterval(try DurationValue.parse(timeout).seconds)
    if let exec { return .exec(exec, timeout: seconds) }
    if let webhook, let url = URL(string: webhook) { return .webhook(url, timeout: seconds) }
    throw ITSMError.usage("say how to deliver: '--exec COMMAND' or '--webhook URL'")
  }
}

/// One way of delivering a notification; `deliver` returns nil when delivered, else why not.
enum Deliverer {
  case exec(String, timeout: TimeInterval)
  case webhook(URL, timeout: TimeInterval)

  var timeout: TimeInterval {
    switch self {
    case .exec(_, let timeout), .webhook(_, let timeout): return timeout
    }
  }

  var name: String {
    switch self {
    case .exec: return "exec"
    case .webhook: return "webhook"
    }
  }

  func deliver(_ record: JSONObject) -> String? {
    switch self {
    case .exec(let command, let timeout): return Deliverer.run(command, input: record, timeout: timeout)
    case .webhook(let url, let timeout): return Deliverer.post(url, record: record, timeout: timeout)
    }
  }

  /// Runs the command through /bin/sh with the record on stdin. Its stdout goes to stderr, so
  /// that it never mixes with the records this tool prints.
  private static func run(_ command: String, input record: JSONObject, timeout: TimeInterval) -> String? {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", command]
    var environment = ProcessInfo.processInfo.environment
    if case .string(let id)? = record["id"] { environment["ITSM_NOTIFICATION_ID"] = id }
    process.environment = environment
    let stdin = Pipe()
    process.standardInput = stdin
    process.standardOutput = FileHandle.standardError
    do {
      try process.run()
    } catch {
      return "cannot run '\(command)': \(error.localizedDescription)"
    }
    var bytes: [UInt8] = []
    JSONSerializer.append(record, to: &bytes)
    bytes.append(0x0A)
    // A command that exits without reading its input must not kill this tool with SIGPIPE
    // (ignored by the entry point) nor block it: write, then close.
    try? stdin.fileHandleForWriting.write(contentsOf: Data(bytes))
    try? stdin.fileHandleForWriting.close()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
      if Date() > deadline {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return "'\(command)' timed out after \(Int(timeout))s"
      }
      usleep(5_000)
    }
    if process.terminationReason == .uncaughtSignal {
      return "'\(command)' was killed by signal \(process.terminationStatus)"
    }
    return process.terminationStatus == 0 ? nil : "'\(command)' exited with status \(process.terminationStatus)"
  }

  /// POSTs the record with a `text` field (the message, for chat webhooks); 2xx means
  /// delivered.
  private static func post(_ url: URL, record: JSONObject, timeout: TimeInterval) -> String? {
    var body = record
    if case .string(let message)? = record["message"] { body["text"] = .string(message) }
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue("itsm-escalate/\(ITSMVersion.current)", forHTTPHeaderField: "User-Agent")
    request.httpBody = Data(JSONSerializer.string(body).utf8)
    let configuration = URLSessionConfiguration.ephemeral
    configuration.timeoutIntervalForRequest = timeout
    configuration.timeoutIntervalForResource = timeout
    let session = URLSession(configuration: configuration)
    defer { session.finishTasksAndInvalidate() }
    let done = DispatchSemaphore(value: 0)
    let outcome = OutcomeBox()
    let task = session.dataTask(with: request) { _, response, error in
      if let error {
        outcome.set("POST \(url.absoluteString) failed: \(error.localizedDescription)")
      } else if let http = response as? HTTPURLResponse, !(200..<300).contains(http.statusCode) {
        outcome.set("POST \(url.absoluteString) answered HTTP \(http.statusCode)")
      }
      done.signal()
    }
    task.resume()
    if done.wait(timeout: .now() + timeout + 1) == .timedOut {
      task.cancel()
      return "POST \(url.absoluteString) timed out after \(Int(timeout))s"
    }
    return outcome.get()
  }
}

/// A result handed from URLSession's queue to the waiting thread.
private final class OutcomeBox: @unchecked Sendable {
  private let lock = NSLock()
  private var value: String?
  func set(_ text: String) { lock.withLock { value = text } }
  func get() -> String? { lock.withLock { value } }
}

/// Delivers what is due in the outbox, one notification at a time: claim it (a short
/// transaction, with a lease longer than one delivery can take), deliver it outside any
/// transaction, record the result in another. Stops early when `shouldStop` says so.
/// Returns (delivered, failed, pending).
func deliverDue(
  _ session: CommandSession, database: AppDatabase, using deliverer: Deliverer, max: Int,
  shouldStop: () -> Bool = { false }
) throws -> (delivered: Int, failed: Int, pending: Int) {
  var delivered = 0
  var failed = 0
  let context = session.context(source: "notify")
  let lease = DurationValue(seconds: Int64(deliverer.timeout) * 2 + 60)
  while delivered + failed < max && !shouldStop() {
    let claimed = try database.write { db in try Outbox(db).claim(now: session.now, limit: 1, lease: lease) }
    guard let notification = claimed.first else { break }
    if let problem = deliverer.deliver(notification.record) {
      failed += 1
      let retry = try database.write { db in try Outbox(db).failed(notification, error: problem, now: session.now) }
      session.messages.warning("\(notification.id): \(problem); retry after \(retry)")
    } else {
      delivered += 1
      let recorded = try database.write { db in
        try Outbox(db).delivered(notification, via: deliverer.name, now: session.now, context: context)
      }
      if !recorded {
        session.messages.warning("\(notification.id): delivered, but its claim had run out; another run records it")
      }
      var record = notification.record
      record["state"] = .string("delivered")
      try session.printer.print(record)
      try session.printer.flush()
    }
  }
  let pending = try database.read { db in try Outbox(db).pendingCount(now: session.now) }
  return (delivered, failed, pending)
}
