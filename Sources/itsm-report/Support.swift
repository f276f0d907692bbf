import ArgumentParser
import ITSMCommandSupport
import ITSMCore

/// `--since` and `--until`: the report's window, [since, until). What it selects (openings,
/// resolutions, clocks) each report says in its description.
struct ReportWindow: ParsableArguments {
  @Option(parsing: .unconditional, help: ArgumentHelp("The window's start (inclusive).", valueName: "timestamp"))
  var since: String?

  @Option(parsing: .unconditional, help: ArgumentHelp("The window's end (exclusive).", valueName: "timestamp"))
  var until: String?

  func resolve(now: Timestamp) throws -> (since: Timestamp?, until: Timestamp?) {
    try parseWindow(since: since, until: until, now: now)
  }
}

/// `--input`, `--skip-invalid`, `--rejects`: incident records instead of the database.
struct ReportInput: ParsableArguments {
  @Option(
    name: .shortAndLong,
    help: ArgumentHelp(
      "Read incident records from this file ('-' for stdin) instead of the database.", valueName: "file"))
  var input: String?

  @Flag(help: "With --input: skip invalid records, reporting each, instead of failing.")
  var skipInvalid = false

  @Option(
    help: ArgumentHelp("With --skip-invalid, write rejected lines as JSON here (else to stderr).", valueName: "file"))
  var rejects: String?

  func validate() throws {
    if skipInvalid && input == nil { throw ValidationError("'--skip-invalid' needs '--input'") }
    if rejects != nil && !skipInvalid { throw ValidationError("'--rejects' needs '--skip-invalid'") }
  }

  /// Reads the records: all-or-nothing (exit 65 naming the bad lines), or with
  /// --skip-invalid each bad line reported and skipped.
  func forEachIncident(_ path: String, session: CommandSession, _ body: (Incident) -> Void) throws {
    try stream(path, session: session) { stream, reader, decoder, onReject in
      try stream.run(
        reader, decodeText: { try decoder.decode(json: $0, requiringOpenedAt: true) },
        apply: { decoded, _ in body(decoded.incident) }, onReject: onReject)
    }
  }

  /// The facts of the records; made on the decoding threads, beside the parsing.
  func forEachFacts(_ path: String, session: CommandSession, _ add: (IncidentFacts) -> Void) throws {
    let maker = IncidentFactsMaker(policy: session.policy)
    try stream(path, session: session) { stream, reader, decoder, onReject in
      try stream.run(
        reader, decodeText: { maker.facts(of: try decoder.decode(json: $0, requiringOpenedAt: true).incident) },
        apply: { facts, _ in add(facts) }, onReject: onReject)
    }
  }

  /// Runs `body` with a stream over the file's records and what it needs. The two callers
  /// each name a record type of their own: the stream is then the one compiled for it.
  private func stream(
    _ path: String, session: CommandSession,
    _ body: (
      RecordStream, LineReader, IncidentDecoder, (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws -> RecordCounts
  ) throws {
    let reader = try LineReader(path: path)
    let sink = skipInvalid ? try RejectSink(path: rejects) : nil
    let decoder = IncidentDecoder(policy: session.policy, now: session.now)
    // Adding up is light: every core parses and decodes.
    var stream = RecordStream(skipInvalid: skipInvalid)
    stream.decoders = min(4, RecordStream.cores)
    let counts = try body(stream, reader, decoder) { try sink?.reject(line: $0, reason: $1, input: $2) }
    if skipInvalid { Messages.writeError("\(counts.read - counts.rejected) read, \(counts.rejected) rejected") }
  }

}

/// The facts of the incidents opened in [since, until), from the database or from records.
func forEachFacts(
  _ global: GlobalOptions, session: CommandSession, records: ReportInput, since: Timestamp?, until: Timestamp?,
  _ add: (IncidentFacts) -> Void
) throws {
  if let input = records.input {
    try records.forEachFacts(input, session: session, add)
    return
  }
  // Only openings count here.
  try forEachStoredFacts(session, since: since, resolvedSince: nil, until: until) { add($0) }
}

/// The facts of the database's incidents (`IncidentStore.forEachFacts`), a large table read
/// on two connections at once.
func forEachStoredFacts(
  _ session: CommandSession, since: Timestamp?, resolvedSince: Timestamp?, until: Timestamp?,
  firstHumanAction: Bool = false, _ add: (IncidentFacts) throws -> Void
) throws {
  let database = try session.global.openDatabaseForReading()
  try database.read { db in
    try IncidentStore(db, policy: session.policy).forEachFacts(
      since: since, resolvedSince: resolvedSince, until: until, firstHumanAction: firstHumanAction,
      database: database, environment: session.global.environment, add)
  }
}

/// The database's incidents through a calculator that can be split
/// (`IncidentStore.reduceFacts`): two connections, each feeding a calculator of its own.
func reduceStoredFacts<Reducer: FactsReducer>(
  _ session: CommandSession, since: Timestamp?, resolvedSince: Timestamp?, until: Timestamp?,
  firstHumanAction: Bool = false, _ make: @escaping @Sendable () -> Reducer
) throws -> Reducer {
  let database = try session.global.openDatabaseForReading()
  return try database.read { db in
    try IncidentStore(db, policy: session.policy).reduceFacts(
      since: since, resolvedSince: resolvedSince, until: until, firstHumanAction: firstHumanAction,
      database: database, environment: session.global.environment, make)
  }
}
