import Dispatch
import Foundation
import Hummingbird
import ITSMCommandSupport
import ITSMCore
import Logging
import NIOCore

#if canImport(Glibc)
  import Glibc
  private let RLIMIT_NOFILE_VALUE = Int32(RLIMIT_NOFILE.rawValue)
#else
  import Darwin
  private let RLIMIT_NOFILE_VALUE = RLIMIT_NOFILE
#endif

/// `itsm-incident alert --listen`: the HTTP endpoint that Alertmanager's `webhook_configs` POST
/// to. Requests are read and decoded concurrently; their writes go one at a time through one
/// connection, each payload in its own transaction, and a request is answered 200 only once its
/// transaction has committed. A bad payload gets a 4xx with a JSON reason and changes nothing.
final class AlertReceiver: @unchecked Sendable {
  /// Where to listen: `HOST:PORT`, `[IPv6]:PORT`; port 0 picks a free one.
  struct Address: CustomStringConvertible {
    var host: String
    var port: Int

    init(parsing text: String) throws {
      let bad = ITSMError.usage("--listen '\(text)': expected HOST:PORT, for example 127.0.0.1:9099")
      guard let colon = text.lastIndex(of: ":") else { throw bad }
      var host = String(text[..<colon])
      if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      guard !host.isEmpty, let port = Int(text[text.index(after: colon)...]), (0...65_535).contains(port) else {
        throw bad
      }
      self.host = host
      self.port = port
    }

    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
  }

  static let path = "alerts"
  /// Alertmanager sends a group's alerts in one payload, a few KiB each: 4 MiB is plenty.
  static let maximumBodyBytes = 4 << 20
  /// Payloads waiting for a commit beyond this are answered 503 (retry) instead of queued, so
  /// that memory stays bounded under any burst.
  static let maximumPending = 4096
  static let idleSeconds: Int64 = 30

  /// Set once the server is listening: a failure before it is a failure to listen.
  final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
  }
  private let listening = Flag()
  /// Printing happens here, apart from the writes, so that a slow reader of stdout never holds
  /// up a commit or its answer.
  private let output = DispatchQueue(label: "itsm.alert-receiver.output")

  let source: ITSMIncident.Alert.Source
  let policy: Policy
  let context: ChangeContext
  /// `--now` (or ITSM_NOW) fixes the clock for every request; otherwise each one reads it.
  let fixedNow: Timestamp?
  let messages: Messages
  private let database: AppDatabase
  private let printer: RecordPrinter
  /// The database and `committed` are touched on this queue only, the printer on `output`,
  /// `pending`, `draining` and `refused` under `lock`.
  private let writer = DispatchQueue(label: "itsm.alert-receiver")
  private var committed = (payloads: 0, alerts: 0)
  private var refused = 0
  private var printing = true

  init(
    database: AppDatabase, session: CommandSession, source: ITSMIncident.Alert.Source, fixedNow: Timestamp?
  ) {
    self.database = database
    self.printer = session.printer
    self.policy = session.policy
    self.context = session.context(source: "alert")
    self.messages = session.messages
    self.source = source
    self.fixedNow = fixedNow
  }

  /// Serves until SIGTERM or SIGINT, then stops taking connections, lets the requests in flight
  /// finish (and commit) and returns.
  func serve(on address: Address) throws {
    Self.raiseDescriptorLimit()
    let router = Router()
    router.post(RouterPath(stringLiteral: Self.path)) { request, _ in await self.receive(request) }
    router.get("healthz") { _, _ in Self.answer(.ok, [JSONField("status", .string("ok"))]) }
    var logger = Logger(label: "itsm-incident", factory: { StreamLogHandler.standardError(label: $0) })
    logger.logLevel = .error
    let messages = self.messages
    let listening = self.listening
    let app = Application(
      router: router,
      // A client that stops sending (half a body, say) is dropped, so it cannot hold up a stop.
      server: .http1(configuration: .init(idleTimeout: .seconds(Self.idleSeconds))),
      configuration: .init(
        address: .hostname(address.host, port: address.port), serverName: "itsm-incident", backlog: 4096),
      onServerRunning: { channel in
        let port = channel.localAddress?.port ?? address.port
        var shown = address
        shown.port = port
        listening.set()
        messages.info("itsm-incident: listening on http://\(shown)/\(Self.path) (SIGTERM or Ctrl-C stops)")
      },
      logger: logger)
    var failure: Error?
    do {
      try Self.block { try await app.runService(gracefulShutdownSignals: [.sigterm, .sigint]) }
    } catch {
      failure = error
    }
    if let failure, !listening.isSet { throw ITSMError.io("cannot listen on \(address): \(failure)") }
    writer.sync {}
    output.sync {
      try? printer.flush()
      if let failure { messages.warning("the server stopped on an error: \(failure)") }
      messages.info(
        "itsm-incident: stopped; \(committed.payloads) payloads (\(committed.alerts) alerts) committed, \(lock.withLock { refused }) refused"
      )
    }
  }

  /// A burst of connections needs more descriptors than the usual soft limit of 1,024: the
  /// soft limit goes up to the hard one, as servers do.
  private static func raiseDescriptorLimit() {
    var limit = rlimit()
    guard getrlimit(RLIMIT_NOFILE_VALUE, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(RLIMIT_NOFILE_VALUE, &limit)
  }

  /// Runs async work to its end from synchronous code.
  private static func block(_ work: @escaping @Sendable () async throws -> Void) throws {
    final class Box: @unchecked Sendable {
      var error: Error?
      let done = DispatchSemaphore(value: 0)
    }
    let box = Box()
    Task {
      do { try await work() } catch { box.error = error }
      box.done.signal()
    }
    box.done.wait()
    if let error = box.error { throw error }
  }

  private func receive(_ request: Request) async -> Response {
    let body: ByteBuffer
    do {
      body = try await request.body.collect(upTo: Self.maximumBodyBytes)
    } catch is NIOTooManyBytesError {
      return refuse(.contentTooLarge, "the body is over \(Self.maximumBodyBytes >> 20) MiB")
    } catch {
      return refuse(.badRequest, "cannot read the body: \(error)")
    }
    let now = fixedNow ?? Timestamp(Date())
    let alerts: [ITSMCore.Alert]
    do {
      alerts = try decode(body, now: now)
    } catch let rejection as RecordRejection {
      return refuse(.badRequest, rejection.reason)
    } catch let error as JSONSyntaxError {
      return refuse(.badRequest, error.description)
    } catch {
      return refuse(.badRequest, "\(error)")
    }
    do {
      let outcomes = try await commit(alerts, now: now)
      var incidents: [JSONValue] = []
      var ignored: [JSONValue] = []
      for outcome in outcomes {
        switch outcome {
        case .opened(let i): incidents.append(Self.touched(i, "opened"))
        case .joined(let i): incidents.append(Self.touched(i, "joined"))
        case .resolved(let i): incidents.append(Self.touched(i, "resolved"))
        case .noted(let i): incidents.append(Self.touched(i, "noted"))
        case .ignored(let why): ignored.append(.string(why))
        }
      }
      return Self.answer(
        .ok,
        [
          JSONField("status", .string("committed")), JSONField("alerts", .int(Int64(alerts.count))),
          JSONField("incidents", .array(incidents)), JSONField("ignored", .array(ignored)),
        ])
    } catch let error as ITSMError {
      let reason = error.messages.joined(separator: "; ")
      switch error {
      case .busy, .io:
        // Alertmanager retries a 5xx: 503 says what exit 75 or 74 says, nothing changed, try again.
        return refuse(.serviceUnavailable, reason, retryAfter: true)
      case .operationFailed, .invalidValue, .badInputLines, .usage:
        // Refused by a rule (a lifecycle that does not allow the change): retrying will not help.
        return refuse(.unprocessableContent, reason)
      default:
        return refuse(.internalServerError, reason)
      }
    } catch let rejection as RecordRejection {
      return refuse(.unprocessableContent, rejection.reason)
    } catch is Overloaded {
      return refuse(
        .serviceUnavailable, "more than \(Self.maximumPending) payloads are waiting for a commit; retry",
        retryAfter: true)
    } catch {
      return refuse(.internalServerError, "\(error)")
    }
  }

  private struct Overloaded: Error {}

  private func decode(_ body: ByteBuffer, now: Timestamp) throws -> [ITSMCore.Alert] {
    let value = try body.withUnsafeReadableBytes { raw in
      try JSONParser.parse(
        UnsafeBufferPointer(start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
    }
    guard case .object(let object) = value else { throw RecordRejection("the body is not a JSON object") }
    switch source {
    case .alertmanager: return try AlertmanagerPayload.decode(object, policy: policy, now: now)
    case .itsm: return [try AlertIngest.decode(object, policy: policy, now: now)]
    }
  }

  /// Waits for the payload's commit. Payloads that arrive while a transaction is being written
  /// go into the next one together (group commit, at most `maximumGroup`), each in a savepoint
  /// of its own: one fsync for many payloads, and a payload that fails is undone alone.
  private func commit(_ alerts: [ITSMCore.Alert], now: Timestamp) async throws -> [AlertOutcome] {
    try await withCheckedThrowingContinuation { continuation in
      let start: Bool? = lock.withLock {
        guard pending.count < Self.maximumPending else { return nil }
        pending.append(Pending(alerts: alerts, now: now, continuation: continuation))
        defer { draining = true }
        return !draining
      }
      guard let start else {
        continuation.resume(throwing: Overloaded())
        return
      }
      if start { writer.async { self.drain() } }
    }
  }

  private struct Pending {
    var alerts: [ITSMCore.Alert]
    var now: Timestamp
    var continuation: CheckedContinuation<[AlertOutcome], Error>
  }
  static let maximumGroup = 256
  private let lock = NSLock()
  private var pending: [Pending] = []
  private var draining = false

  /// On the writer queue: commits what is pending, group by group, until nothing is.
  private func drain() {
    while true {
      let group: [Pending] = lock.withLock {
        let group = Array(pending.prefix(Self.maximumGroup))
        pending.removeFirst(group.count)
        if group.isEmpty { draining = false }
        return group
      }
      if group.isEmpty { return }
      do {
        let results = try database.ingest(
          deliveries: group.map { ($0.alerts, $0.now) }, policy: policy, context: context)
        var touched: [AlertOutcome] = []
        for (waiting, result) in zip(group, results) {
          if case .success(let outcomes) = result {
            committed.payloads += 1
            committed.alerts += waiting.alerts.count
            touched += outcomes
          }
          waiting.continuation.resume(with: result)
        }
        output.async { [touched] in self.print(touched) }
      } catch {
        for waiting in group { waiting.continuation.resume(throwing: error) }
      }
    }
  }

  /// Prints what committed payloads touched, on the output queue. A closed stdout stops the
  /// printing, not the receiver: the payloads are committed and their answers say so.
  private func print(_ outcomes: [AlertOutcome]) {
    guard printing else { return }
    do {
      for outcome in outcomes {
        switch outcome {
        case .opened(let i), .joined(let i), .resolved(let i), .noted(let i):
          try printer.print(i.record(policy: policy))
        case .ignored: break
        }
      }
      try printer.flush()
    } catch {
      printing = false
    }
  }

  private func refuse(_ status: HTTPResponse.Status, _ reason: String, retryAfter: Bool = false) -> Response {
    // A refusal writes nothing: it stays off the writer queue, which only commits.
    lock.withLock { refused += 1 }
    messages.warning("POST /\(Self.path): \(status.code) \(reason)")
    var response = Self.answer(
      status, [JSONField("status", .string("refused")), JSONField("reason", .string(reason))])
    if retryAfter { response.headers[.retryAfter] = "5" }
    return response
  }

  private static func touched(_ incident: Incident, _ outcome: String) -> JSONValue {
    .object(JSONObject([JSONField("id", .string(incident.id)), JSONField("outcome", .string(outcome))]))
  }

  private static func answer(_ status: HTTPResponse.Status, _ fields: [JSONField]) -> Response {
    var bytes: [UInt8] = []
    JSONSerializer.append(JSONObject(fields), to: &bytes)
    bytes.append(0x0A)
    return Response(
      status: status, headers: [.contentType: "application/json"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
  }
}
