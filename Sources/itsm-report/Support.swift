import ArgumentParser
import ITSMCommandSupport
import ITSMCore

/// Reads incident records from a file or stdin as facts for a report: all-or-nothing (exit 65
/// naming the bad lines), or with `skipInvalid` each bad line reported and skipped.
func readFacts(
  _ path: String, skipInvalid: Bool, rejects: String?, session: CommandSession, _ add: (IncidentFacts) -> Void
) throws {
  let reader = try LineReader(path: path)
  let sink = skipInvalid ? try RejectSink(path: rejects) : nil
  let decoder = IncidentDecoder(policy: session.policy, now: session.now)
  let policy = session.policy
  let counts = try RecordStream(skipInvalid: skipInvalid).run(
    reader,
    decode: { object in
      guard object["opened_at"] != nil else { throw RecordRejection("missing required field 'opened_at'") }
      return IncidentFacts(try decoder.decode(object).incident, policy: policy)
    },
    apply: { facts, _ in add(facts) },
    onReject: { try sink?.reject(line: $0, reason: $1, input: $2) })
  if skipInvalid { Messages.writeError("\(counts.read - counts.rejected) read, \(counts.rejected) rejected") }
}

/// The facts of the incidents opened in [since, until), from the database or from records.
func forEachFacts(
  _ global: GlobalOptions, session: CommandSession, input: String?, since: Timestamp?, until: Timestamp?,
  _ add: (IncidentFacts) -> Void
) throws {
  if let input {
    try readFacts(input, skipInvalid: false, rejects: nil, session: session, add)
    return
  }
  try global.openDatabaseForReading().read { db in
    try IncidentStore(db, policy: session.policy).forEachFacts(
      // Only openings count here: an empty range for resolutions.
      since: since, resolvedSince: Timestamp(seconds: Int64.max), until: until, firstHumanAction: false
    ) { add($0) }
  }
}
