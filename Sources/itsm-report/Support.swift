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
