import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Alert: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Ingest monitoring alerts (JSON Lines) with de-duplication.",
      discussion: """
        Each line: {"dedup_key", "title", "service", "priority" or "severity", "status":
        "firing"|"resolved", "at"}. A firing alert joins the open incident that holds its dedup_key (alert_count, last_alert_at) or opens one; a resolved alert resolves it when the policy says so (alerts.resolve_incidents, on by default). Keys join open incidents only. Prints each incident the alerts touched.

        From a file, the alerts are all-or-nothing: one bad line and nothing is written (exit 65). From a pipe that pauses (a feed such as 'tail -F alerts.jsonl | itsm-incident alert'), each burst is committed and printed when the input goes quiet, so the feed never holds the database locked while it waits; a bad line stops the feed at the end of its burst, and only that burst is undone.

        With --from alertmanager each line is a Prometheus Alertmanager webhook payload (version 4) and each of its alerts[] goes through the same de-duplication: dedup_key from the fingerprint (else from the labels), title from annotations.summary or labels.alertname, service from the first label the policy names (alerts.service_labels: service, then job; else commonLabels), priority from labels.severity through alerts.severity_priority (no severity label counts as warning), the time from startsAt (endsAt when resolved). Labels, annotations, the fingerprint, generatorURL and groupKey are kept under extra. A payload without alerts[] or an alert with neither fingerprint nor labels is a bad line.

        With --listen HOST:PORT it is the HTTP receiver that Alertmanager's webhook_configs POST to (url: http://HOST:PORT/alerts), and reads no input. Each POST body is one payload (--from alertmanager by default here). A payload is answered 200, with the incidents it touched as JSON, only once its transaction has committed; a bad payload gets 400 with a JSON reason and changes nothing; a payload that a lifecycle rule refuses gets 422; a database busy past the timeout, or a full disk, gets 503 with Retry-After, which Alertmanager retries; in every refusal nothing of the payload is kept. A body over 4 MiB gets 413, and past 4,096 payloads waiting for a commit the next gets 503; a connection idle for 30 s is closed. Payloads that arrive while a commit is being written are committed together, each in a savepoint of its own, so one bad payload never undoes another. GET /healthz answers 200. The incidents touched are printed on stdout as they commit. SIGTERM or Ctrl-C stops it gracefully: no new connections, the requests in flight finish, exit 0. Port 0 picks a free port; the address is announced on stderr. Without --now each request reads the clock.

        Example:
          echo '{"dedup_key":"mail-queue","title":"Mail queue high","service":"mail","severity":"critical","status":"firing"}' \\
            | itsm-incident alert
          cat alertmanager-payloads.jsonl | itsm-incident alert --from alertmanager
          itsm-incident alert --listen 127.0.0.1:9099 >> touched.jsonl
        """)

    /// The shape of the input lines.
    enum Source: String, ExpressibleByArgument, CaseIterable {
      case itsm, alertmanager
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var dryRun: DryRunOption

    @Option(
      help: ArgumentHelp(
        "itsm: one alert record per line; alertmanager: one Alertmanager webhook payload (version 4) per line (the default with --listen).",
        valueName: "source"))
    var from: Source?

    @Option(
      help: ArgumentHelp(
        "Serve HTTP on this address instead of reading input: POST one payload per request to /alerts.",
        valueName: "host:port"))
    var listen: String?

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
        if let listen {
          try receive(on: try AlertReceiver.Address(parsing: listen), session: session)
          return
        }
        let from = self.from ?? .itsm
        let reader = try LineReader(path: input.input)
        let rejects = input.skipInvalid ? try RejectSink(path: input.rejects) : nil
        let policy = session.policy
        let now = session.now
        var touched: [Incident] = []
        var written = 0
        func printTouched() throws {
          for incident in touched { try session.printer.print(incident.record(policy: session.policy)) }
          touched.removeAll()
          try session.printer.flush()
        }
        let counts = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.writeInParts(dryRun: dryRun.dryRun) { parts in
            let ingest = AlertIngest.bound(
              parts.db, policy: session.policy, context: session.context(source: "alert"), now: session.now)
            return try RecordStream(skipInvalid: input.skipInvalid).run(
              reader,
              decode: { object -> [ITSMCore.Alert] in
                from == .alertmanager
                  ? try AlertmanagerPayload.decode(object, policy: policy, now: now)
                  : [try AlertIngest.decode(object, policy: policy, now: now)]
              },
              apply: { alerts, line in
                try parts.open()
                for alert in alerts {
                  switch try ingest.apply(alert) {
                  case .opened(let i), .joined(let i), .resolved(let i), .noted(let i):
                    written += 1
                    touched.append(i)
                  case .ignored(let why): session.messages.warning("\(reader.sourceName):\(line): \(why)")
                  }
                }
              },
              onReject: { try rejects?.reject(line: $0, reason: $1, input: $2) },
              onIdle: {
                try parts.commit()
                try printTouched()
              })
          }
        }
        if input.skipInvalid { Messages.writeError("\(written) written, \(counts.rejected) rejected") }
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try printTouched()
        try session.printer.finish()
      }
    }

    /// `--listen`: the HTTP receiver, until SIGTERM.
    private func receive(on address: AlertReceiver.Address, session: CommandSession) throws {
      if input.input != "-" || input.skipInvalid || input.rejects != nil {
        throw ITSMError.usage("--listen reads HTTP requests: --input, --skip-invalid and --rejects do not apply")
      }
      if dryRun.dryRun { throw ITSMError.usage("--listen commits what it accepts: --dry-run does not apply") }
      let fixedClock = global.now != nil || !(global.environment["ITSM_NOW"] ?? "").isEmpty
      let receiver = AlertReceiver(
        database: try global.openDatabaseForWriting(), session: session, source: from ?? .alertmanager,
        fixedNow: fixedClock ? session.now : nil)
      try receiver.serve(on: address)
    }
  }
}
