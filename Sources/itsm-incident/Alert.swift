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

        Example:
          echo '{"dedup_key":"mail-queue","title":"Mail queue high","service":"mail","severity":"critical","status":"firing"}' \\
            | itsm-incident alert
          cat alertmanager-payloads.jsonl | itsm-incident alert --from alertmanager
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
        "itsm: one alert record per line; alertmanager: one Alertmanager webhook payload (version 4) per line.",
        valueName: "source"))
    var from: Source = .itsm

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
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
            var ingest = AlertIngest(
              store: IncidentStore(parts.db, policy: session.policy), context: session.context(source: "alert"),
              now: session.now)
            // New incidents keep the escalation policy in force when they open.
            let escalation = EscalationStore(parts.db, policy: session.policy, context: ingest.context)
            ingest.onOpened = { try escalation.bind($0, now: session.now) }
            return try RecordStream(skipInvalid: input.skipInvalid).run(
              reader,
              decode: { [from] object -> [ITSMCore.Alert] in
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
  }
}
