import Foundation

/// Why one input record was refused; it becomes `SOURCE:LINE: reason`.
public struct RecordRejection: Error, Equatable {
  public var reason: String
  public init(_ reason: String) { self.reason = reason }
}

/// What a run over an input stream did.
public struct RecordCounts: Equatable, Sendable {
  public var read = 0
  public var rejected = 0
  public init() {}
}

/// Feeds the records of a JSON Lines stream through a pure `decode` step and an `apply` step
/// that writes, with the contract's bad-input rules: by default the first bad line stops all
/// writing (the caller's transaction is rolled back) while the rest of the input is still
/// checked, so that one run reports up to `maximumReported` bad lines; with `skipInvalid` each
/// bad line goes to `onReject` and the valid ones are applied.
///
/// Reading runs on a second thread, and parsing and decoding on `decoders` more (in batches
/// of lines, put back in order before `apply`), so that they overlap with the database work
/// of `apply` on the calling thread; a bounded number of batches in flight keeps memory flat.
public struct RecordStream {
  public var skipInvalid = false
  public var maximumReported = 20
  /// Threads that parse and decode records. By default one core is left to `apply` (a
  /// database writer); a light `apply` can take them all (`RecordStream.cores`).
  public var decoders = min(4, max(1, RecordStream.cores - 1))
  public static var cores: Int { ProcessInfo.processInfo.activeProcessorCount }

  public init(skipInvalid: Bool = false) { self.skipInvalid = skipInvalid }

  public func run<T: Sendable>(
    _ reader: LineReader,
    decode: @escaping @Sendable (JSONObject) throws -> T,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void,
    onIdle: () throws -> Void = {}
  ) throws -> RecordCounts {
    try run(
      reader,
      decodeText: { text in
        let parsed = try JSONParser.parse(text)
        guard case .object(let object) = parsed else {
          throw RecordRejection("expected a JSON object, got \(parsed.typeName)")
        }
        return try decode(object)
      }, apply: apply, onReject: onReject, onIdle: onIdle)
  }

  /// The same with the parsing left to `decodeText`, which gets each line's JSON text: a
  /// decoder may then parse straight into what it makes. It throws `JSONSyntaxError` or
  /// `RecordRejection` for a bad line, as `JSONParser` and `decode` would.
  public func run<T: Sendable>(
    _ reader: LineReader,
    decodeText decode: @escaping @Sendable (UnsafeBufferPointer<UInt8>) throws -> T,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void,
    onIdle: () throws -> Void = {}
  ) throws -> RecordCounts {
    try stream(reader, decodeText: decode, apply: apply, onReject: onReject, onIdle: onIdle)
  }

  func stream<T: Sendable>(
    _ reader: LineReader,
    decodeText decode: @escaping @Sendable (UnsafeBufferPointer<UInt8>) throws -> T,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void,
    onIdle: () throws -> Void
  ) throws -> RecordCounts {
    let channel = BatchChannel<DecodedBatch<T>>(capacity: 16)
    let work = BatchChannel<RawBatch>(capacity: 16)
    let inFlight = Permits(16)
    let limit = reader.maximumLineLength
    let decoding = RecordStream.startDecoders(decoders, from: work, into: channel, stackSize: 8 << 20) {
      line, bytes, _, _ in
      switch line {
      case .text(let number, let range):
        return RecordStream.item(
          number, .text(UnsafeBufferPointer(rebasing: bytes[range])), decode: decode, limit: limit)
      case .tooLong(let number, let size):
        return RecordStream.item(number, .tooLong(bytes: size), decode: decode, limit: limit)
      }
    }
    let producer = Thread {
      let failure = RecordStream.read(reader, into: work, permits: inFlight)
      work.finish(nil)
      decoding.wait()
      channel.finish(failure)
    }
    producer.stackSize = 1 << 20
    producer.start()
    defer {
      inFlight.cancel()
      work.cancel()
    }
    return try consume(
      channel, permits: inFlight, source: reader.sourceName, apply: apply, onReject: onReject, onIdle: onIdle)
  }

  /// The same for CSV: the first record is the header, and `decode` gets each row, read by
  /// that header. Rows whose cell count differs from the header's are refused.
  public func run<T: Sendable>(
    csv reader: LineReader,
    header check: @escaping @Sendable (CSVHeader) throws -> Void,
    decode: @escaping @Sendable (CSVRow) throws -> T,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> RecordCounts {
    try stream(
      csv: reader, header: check, decode: { row, _ in try decode(row) }, backwards: false, apply: apply,
      onReject: onReject)
  }

  func stream<T: Sendable>(
    csv reader: LineReader,
    header check: @escaping @Sendable (CSVHeader) throws -> Void,
    decode: @escaping @Sendable (CSVRow, T?) throws -> T,
    backwards: Bool,
    apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> RecordCounts {
    let channel = BatchChannel<DecodedBatch<T>>(capacity: 16)
    let work = BatchChannel<RawBatch>(capacity: 16)
    let inFlight = Permits(16)
    let decoding = RecordStream.startDecoders(
      decoders, from: work, into: channel, stackSize: 1 << 20, backwards: backwards
    ) {
      line, bytes, header, next in
      switch line {
      case .text(let number, let range):
        let raw = UnsafeBufferPointer(rebasing: bytes[range])
        do {
          return .decoded(
            number, try decode(try header!.row(CSVParser.fields(raw, expected: header!.names.count)!), next))
        } catch let rejection as RecordRejection {
          return .rejected(number, rejection.reason, Array(raw))
        }
      case .tooLong(let number, _): return .rejected(number, "line is longer than the limit", [])
      }
    }
    let producer = Thread {
      var header: CSVHeader?
      var batch = RawBatch(sequence: 0)
      func handOver() throws {
        guard inFlight.acquire(), work.send([batch]) else { throw CancellationError() }
        batch = RawBatch(sequence: batch.sequence + 1)
        batch.header = header
      }
      var failure: Error?
      do {
        try CSVParser.forEachRawRecord(reader) { line, rejection, raw in
          guard header != nil else {
            if let rejection {
              throw ITSMError.badInputLines(
                ["\(reader.sourceName):\(line): the header row: \(rejection.reason)"], more: 0)
            }
            let made = CSVHeader(CSVParser.fields(raw)!)
            try check(made)
            header = made
            batch.header = made
            return
          }
          let start = batch.bytes.count
          batch.bytes.append(contentsOf: raw)
          let range = start..<batch.bytes.count
          batch.lines.append(rejection.map { .rejected(line, $0.reason, range) } ?? .read(.text(line, range)))
          if batch.lines.count == 256 || batch.bytes.count > 1 << 20 { try handOver() }
        }
        if header == nil { throw ITSMError.badInputLines(["\(reader.sourceName): no header row"], more: 0) }
        if !batch.lines.isEmpty { try handOver() }
      } catch {
        failure = error is CancellationError ? nil : error
      }
      work.finish(nil)
      decoding.wait()
      channel.finish(failure)
    }
    producer.stackSize = 8 << 20
    producer.start()
    defer {
      inFlight.cancel()
      work.cancel()
    }
    return try consume(
      channel, permits: inFlight, source: reader.sourceName, apply: apply, onReject: onReject, onIdle: {})
  }

  private func consume<T>(
    _ channel: BatchChannel<DecodedBatch<T>>, permits: Permits, source: String, apply: (T, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void, onIdle: () throws -> Void
  ) throws -> RecordCounts {
    // Never wait for the reading thread here: after a failure it may be blocked reading a
    // pipe that stays open; cancelling it is enough, and the process ends with the command.
    defer { channel.cancel() }
    var counts = RecordCounts()
    var messages: [String] = []
    var unreported = 0
    // Batches arrive in the order they were decoded; they are handled in the input's.
    var early: [Int: [StreamItem<T>]] = [:]
    var next = 0
    while let arrived = try channel.next() {
      for decoded in arrived { early[decoded.sequence] = decoded.items }
      while let batch = early.removeValue(forKey: next) {
        next += 1
        permits.release()
        for item in batch {
          counts.read += 1
          switch item {
          case .decoded(let line, let value):
            if messages.isEmpty { try apply(value, line) }
          case .idle:
            // The input paused (a pipe with nothing more yet). Streams that commit in parts do
            // so here; one with a bad line stops here rather than at an end that may never come.
            counts.read -= 1
            if !messages.isEmpty { throw ITSMError.badInputLines(messages, more: unreported) }
            try onIdle()
          case .rejected(let line, let reason, let input):
            counts.rejected += 1
            if skipInvalid {
              try input.withUnsafeBufferPointer { try onReject(line, reason, $0) }
            } else if messages.count < maximumReported {
              messages.append("\(source):\(line): \(reason)")
            } else {
              unreported += 1
            }
          }
        }
      }
    }
    if !messages.isEmpty { throw ITSMError.badInputLines(messages, more: unreported) }
    return counts
  }

  /// Reads lines into batches (copies of their bytes) for the decoding threads, numbered in
  /// input order, taking a permit for each; the reading error, if any.
  private static func read(_ reader: LineReader, into work: BatchChannel<RawBatch>, permits: Permits) -> Error? {
    var batch = RawBatch(sequence: 0)
    func handOver() throws {
      guard permits.acquire(), work.send([batch]) else { throw CancellationError() }
      batch = RawBatch(sequence: batch.sequence + 1)
    }
    do {
      // Before the reader blocks on a slow pipe, hand over what it has, so alerts fed one at
      // a time are not held back until a batch fills.
      var readSinceIdle = false
      let flushBeforeWaiting = {
        guard readSinceIdle else { return }
        readSinceIdle = false
        batch.lines.append(.idle)
        try handOver()
      }
      try reader.forEachLine(beforeWaiting: flushBeforeWaiting) { number, line in
        readSinceIdle = true
        switch line {
        case .text(let text):
          let start = batch.bytes.count
          batch.bytes.append(contentsOf: text)
          batch.lines.append(.read(.text(number, start..<batch.bytes.count)))
        case .tooLong(let size): batch.lines.append(.read(.tooLong(number, size)))
        }
        if batch.lines.count == 256 || batch.bytes.count > 1 << 20 { try handOver() }
      }
      if !batch.lines.isEmpty { try handOver() }
      return nil
    } catch {
      return error is CancellationError ? nil : error
    }
  }

  /// Starts `count` threads that decode the batches of `work` into `channel` (each with
  /// its number); the group is left when all of them have stopped.
  private static func startDecoders<T>(
    _ count: Int, from work: BatchChannel<RawBatch>, into channel: BatchChannel<DecodedBatch<T>>, stackSize: Int,
    backwards: Bool = false,
    _ decode: @escaping @Sendable (RawBatch.Read, UnsafeBufferPointer<UInt8>, CSVHeader?, T?) throws -> StreamItem<T>
  ) -> DispatchGroup {
    let group = DispatchGroup()
    for _ in 0..<max(1, count) {
      group.enter()
      let thread = Thread {
        decodeBatches(from: work, into: channel, backwards: backwards, decode)
        group.leave()
      }
      thread.stackSize = stackSize
      thread.start()
    }
    return group
  }

  /// A decoding thread: takes batches of lines until there are none, and hands each over
  /// decoded, with its number. `backwards`: each batch is decoded last line first, and
  /// `decode` gets the value decoded from the line after it in the input (nil when that line
  /// is not a decoded record, and for the batch's last line).
  private static func decodeBatches<T>(
    from work: BatchChannel<RawBatch>, into channel: BatchChannel<DecodedBatch<T>>, backwards: Bool,
    _ decode: (RawBatch.Read, UnsafeBufferPointer<UInt8>, CSVHeader?, T?) throws -> StreamItem<T>
  ) {
    do {
      while let batches = try work.next() {
        for raw in batches {
          var items: [StreamItem<T>] = []
          items.reserveCapacity(raw.lines.count)
          try raw.bytes.withUnsafeBufferPointer { bytes in
            var next: T?
            for i in raw.lines.indices {
              let item: StreamItem<T>
              switch raw.lines[backwards ? raw.lines.count - 1 - i : i] {
              case .read(let read): item = try decode(read, bytes, raw.header, next)
              case .rejected(let number, let reason, let range): item = .rejected(number, reason, Array(bytes[range]))
              case .idle: item = .idle
              }
              if backwards, case .decoded(_, let value) = item { next = value } else { next = nil }
              items.append(item)
            }
          }
          if backwards { items.reverse() }
          guard channel.send([DecodedBatch(sequence: raw.sequence, items: items)]) else {
            work.cancel()
            return
          }
        }
      }
    } catch {
      // An error that is not a refused record (the work channel has none of its own) stops
      // the run, as a reading error does: the consumer throws it once the queue is empty.
      channel.finish(error)
      work.cancel()
    }
  }

  private static func item<T>(
    _ number: Int, _ line: InputLine, decode: (UnsafeBufferPointer<UInt8>) throws -> T, limit: Int
  ) -> StreamItem<T> {
    switch line {
    case .tooLong(let size):
      return .rejected(
        number, "line is \(size) bytes, longer than the limit of \(limit) bytes", [])
    case .text(let text):
      var reason: String
      do {
        return .decoded(number, try decode(text))
      } catch let error as JSONSyntaxError {
        reason = error.description
      } catch let error as RecordRejection {
        reason = error.reason
      } catch {
        reason = "\(error)"
      }
      if number == 1, let hint = hint(for: text) { reason += hint }
      return .rejected(number, reason, Array(text))
    }
  }

  static func hint(for line: UnsafeBufferPointer<UInt8>) -> String? {
    let trimmed = line.filter { $0 != 0x20 && $0 != 0x09 }
    guard trimmed.first == UInt8(ascii: "[") || trimmed == [UInt8(ascii: "{")] else { return nil }
    return
      " (this looks like a JSON array or pretty-printed JSON; itsm reads JSON Lines, one object per line: try jq -c '.[]')"
  }
}

/// Lines read and not yet decoded: their bytes one after another.
struct RawBatch: Sendable {
  /// A line (or CSV record) for a decoding thread.
  enum Read: Sendable {
    case text(Int, Range<Int>)
    case tooLong(Int, Int)
  }
  enum Line: Sendable {
    case read(Read)
    /// Refused by the reader (a CSV record not closed): the reason and the record's bytes.
    case rejected(Int, String, Range<Int>)
    /// The input paused: handed on as it is.
    case idle
  }
  let sequence: Int
  /// For CSV: the header the records are read by.
  var header: CSVHeader?
  var bytes: [UInt8] = []
  var lines: [Line] = []

  init(sequence: Int) {
    self.sequence = sequence
    lines.reserveCapacity(256)
  }
}

/// Decoded items of a batch, with the batch's place in the input.
struct DecodedBatch<T> {
  let sequence: Int
  let items: [StreamItem<T>]
}

extension DecodedBatch: Sendable where T: Sendable {}

/// A count of things that may be in flight at once: taken before one starts, given back when
/// it is done. Cancelling lets every waiter go (and fail).
final class Permits: @unchecked Sendable {
  private let condition = NSCondition()
  private var available: Int
  private var cancelled = false

  init(_ count: Int) { available = count }

  /// Waits for a permit; false once cancelled.
  func acquire() -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while available == 0 && !cancelled { condition.wait() }
    if cancelled { return false }
    available -= 1
    return true
  }

  func release() {
    condition.lock()
    available += 1
    condition.signal()
    condition.unlock()
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }
}

enum StreamItem<T> {
  case decoded(Int, T)
  case rejected(Int, String, [UInt8])
  /// The reader found no more input for now and is about to wait for it.
  case idle
}

extension StreamItem: Sendable where T: Sendable {}

/// A bounded hand-over of batches from one thread to another.
final class BatchChannel<Element>: @unchecked Sendable {
  private let condition = NSCondition()
  private var queue: [[Element]] = []
  private let capacity: Int
  private var finished = false
  private var cancelled = false
  private var failure: Error?

  init(capacity: Int) { self.capacity = capacity }

  /// Hands a batch over, waiting while the queue is full. False once the receiver cancelled.
  func send(_ batch: [Element]) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while queue.count >= capacity && !cancelled { condition.wait() }
    if cancelled { return false }
    queue.append(batch)
    condition.broadcast()
    return true
  }

  /// Ends the stream; the first error given is the one `next` throws.
  func finish(_ error: Error?) {
    condition.lock()
    finished = true
    if failure == nil { failure = error }
    condition.broadcast()
    condition.unlock()
  }

  /// The next batch, or nil at the end.
  func next() throws -> [Element]? {
    condition.lock()
    defer { condition.unlock() }
    while queue.isEmpty && !finished && !cancelled { condition.wait() }
    if cancelled { return nil }
    if !queue.isEmpty {
      let batch = queue.removeFirst()
      condition.broadcast()
      return batch
    }
    if let failure { throw failure }
    return nil
  }

  func cancel() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    condition.unlock()
  }
}

/// Runs `produce` on the calling thread and `consume` on a second one, handing values over in
/// batches: for output-heavy commands, reading the database and formatting the records then
/// overlap. An error on either side stops both and is rethrown here.
public func pipelined<T: Sendable>(
  batchSize: Int = 256,
  produce: (_ send: (T) throws -> Void) throws -> Void,
  consume: @escaping @Sendable (T) throws -> Void
) throws {
  let channel = BatchChannel<T>(capacity: 8)
  let outcome = PipelineOutcome()
  let consumer = Thread {
    do {
      while let batch = try channel.next() {
        for value in batch { try consume(value) }
      }
    } catch {
      outcome.fail(error)
      channel.cancel()
    }
    outcome.done.signal()
  }
  consumer.start()
  var batch: [T] = []
  batch.reserveCapacity(batchSize)
  do {
    try produce { value in
      batch.append(value)
      if batch.count == batchSize {
        guard channel.send(batch) else { throw CancellationError() }
        batch.removeAll(keepingCapacity: true)
      }
    }
    if !batch.isEmpty { _ = channel.send(batch) }
    channel.finish(nil)
  } catch is CancellationError {
    channel.finish(nil)
  } catch {
    channel.cancel()
    channel.finish(nil)
    outcome.done.wait()
    // A consumer that failed first (a closed pipe, say) explains the failure better.
    throw outcome.error ?? error
  }
  outcome.done.wait()
  if let error = outcome.error { throw error }
}

private final class PipelineOutcome: @unchecked Sendable {
  let done = DispatchSemaphore(value: 0)
  private let lock = NSLock()
  private var stored: Error?

  func fail(_ error: Error) {
    lock.lock()
    stored = error
    lock.unlock()
  }

  var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return stored
  }
}

/// Typed reads of one record field, with messages that name the field.
public struct FieldValue {
  public let key: String
  public let value: JSONValue?
  /// A time that a typed reader already parsed (then `value` is nil).
  public let time: Timestamp?

  public init(_ key: String, _ value: JSONValue?, time: Timestamp? = nil) {
    self.key = key
    self.value = value
    self.time = time
  }

  /// Whether the record has the field at all (null counts).
  public var isPresent: Bool { value != nil || time != nil }

  public func string(required: Bool = false) throws -> String? {
    switch value {
    case nil, .null?:
      if required { throw RecordRejection("missing required field '\(key)'") }
      return nil
    case .string(let s)?:
      if s.isEmpty {
        if required { throw RecordRejection("'\(key)' must not be empty") }
        return nil
      }
      return s
    case let other?:
      throw RecordRejection("'\(key)' must be a string, got \(other.typeName)")
    }
  }

  public func int(in range: ClosedRange<Int64>) throws -> Int? {
    switch value {
    case nil, .null?: return nil
    case .int(let v)?:
      guard range.contains(v) else {
        throw RecordRejection("'\(key)' must be \(range.lowerBound) to \(range.upperBound), got \(v)")
      }
      return Int(v)
    case .double(let d)?:
      throw RecordRejection("'\(key)' must be a whole number, got \(d)")
    case let other?:
      throw RecordRejection("'\(key)' must be a number, got \(other.typeName)")
    }
  }

  public func timestamp() throws -> Timestamp? {
    if let time { return time }
    guard let text = try string() else { return nil }
    guard let t = TimestampParser.parseAbsolute(text) else {
      throw RecordRejection(
        "'\(key)': unparseable timestamp '\(text)' (expected RFC 3339, such as 2026-11-01T09:30:00Z)")
    }
    return t
  }

  /// A value of `type`; `names` (evaluated only for the error) lists the valid ones.
  public func choice<T: RawRepresentable>(_ type: T.Type, names: @autoclosure () -> [String]) throws -> T?
  where T.RawValue == String {
    try choice(names: names(), T.init(rawValue:))
  }

  /// A value of one of `choices`, compared byte by byte (`init(rawValue:)` compares the text
  /// with every case's name as a String, a cost on the decoding of many records).
  func choice<T>(_ choices: ByteChoices<T>) throws -> T? {
    try choice(names: T.allCases.map(\.rawValue)) { choices.match($0) }
  }

  private func choice<T>(names: @autoclosure () -> [String], _ make: (String) -> T?) throws -> T? {
    guard let text = try string() else { return nil }
    guard let value = make(text) else {
      throw RecordRejection("unknown \(key) '\(text)' (expected \(names().joined(separator: ", ")))")
    }
    return value
  }
}

/// The fields of a small record by name (for records with few keys; hot paths use slots).
public struct RecordFields {
  public let object: JSONObject

  public init(_ object: JSONObject) { self.object = object }

  public subscript(key: String) -> FieldValue { FieldValue(key, object[key]) }
}

// The record types of the bulk imports, streamed by code made for them. A generic function of
// this module called from another one runs unspecialized: each record is copied, moved and
// destroyed through its type's metadata, and each batch looks up the metadata of its generic
// types. Called here with the concrete type, the stream is compiled for it. Callers need not
// change: Swift picks these overloads over the generic ones.
extension RecordStream {
  public func run(
    _ reader: LineReader,
    decodeText decode: @escaping @Sendable (UnsafeBufferPointer<UInt8>) throws -> DecodedIncident,
    apply: (DecodedIncident, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void,
    onIdle: () throws -> Void = {}
  ) throws -> RecordCounts {
    try stream(reader, decodeText: decode, apply: apply, onReject: onReject, onIdle: onIdle)
  }

  public func run(
    _ reader: LineReader,
    decodeText decode: @escaping @Sendable (UnsafeBufferPointer<UInt8>) throws -> IncidentFacts,
    apply: (IncidentFacts, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void,
    onIdle: () throws -> Void = {}
  ) throws -> RecordCounts {
    try stream(reader, decodeText: decode, apply: apply, onReject: onReject, onIdle: onIdle)
  }

  public func run(
    csv reader: LineReader,
    header check: @escaping @Sendable (CSVHeader) throws -> Void,
    decode: @escaping @Sendable (CSVRow) throws -> DecodedIncident,
    apply: (DecodedIncident, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> RecordCounts {
    try stream(
      csv: reader, header: check, decode: { row, _ in try decode(row) }, backwards: false, apply: apply,
      onReject: onReject)
  }

  /// The ServiceNow rows of a CSV export, each decoded beside the one after it: `decode` also
  /// gets the row that follows in the input, decoded, when it is in the same batch (nil for
  /// the last row of a batch, and for a row followed by a refused line). A decoder may then
  /// leave out of a row what the next one makes unneeded, on a decoding thread. The rows of a
  /// batch are decoded last to first.
  public func run(
    csv reader: LineReader,
    header check: @escaping @Sendable (CSVHeader) throws -> Void,
    decode: @escaping @Sendable (CSVRow, _ next: ServiceNowRow?) throws -> ServiceNowRow,
    apply: (ServiceNowRow, Int) throws -> Void,
    onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
  ) throws -> RecordCounts {
    try stream(csv: reader, header: check, decode: decode, backwards: true, apply: apply, onReject: onReject)
  }
}
