import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import incident records (JSON Lines), upserting by id.",
      discussion: """
        Records may come from 'export', from another system or from jq. 'id' is optional when 'opened_at' is given (a stable one is derived from service, title and opened_at); give 'priority' or 'impact' and 'urgency'. Historic times are kept and the timeline is synthesized from them (source 'import'). Unknown keys are kept under 'extra'. Re-importing the same input changes nothing. Prints a summary record; one bad line writes nothing (exit 65) unless --skip-invalid is given.

        Examples:
          itsm-incident import --input incidents.jsonl
          jq -c '.[]' legacy.json | itsm-incident import --skip-invalid --rejects rejects.jsonl
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var dryRun: DryRunOption

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
        let reader = try LineReader(path: input.input)
        let rejects = input.skipInvalid ? try RejectSink(path: input.rejects) : nil
        let decoder = IncidentDecoder(policy: session.policy, now: session.now)
        let summary = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            let importer = try IncidentImporter(
              store: IncidentStore(db, policy: session.policy), context: session.context(source: "import"),
              now: session.now)
            importer.onWarning = { session.messages.warning($0) }
            let counts = try RecordStream(skipInvalid: input.skipInvalid).run(
              reader, decode: decoder.decode,
              apply: { incident, line in try importer.apply(incident, line: line, source: reader.sourceName) },
              onReject: { try rejects?.reject(line: $0, reason: $1, input: $2) })
            try importer.finish()
            var summary = importer.summary
            summary.read = counts.read
            summary.rejected = counts.rejected
            return summary
          }
        }
        if input.skipInvalid { Messages.writeError("\(summary.changed) written, \(summary.rejected) rejected") }
        session.messages.info(
          "\(reader.sourceName): \(summary.read) read, \(summary.created) created, \(summary.updated) updated, "
            + "\(summary.unchanged) unchanged; \(summary.changed) changed\(dryRun.dryRun ? " (dry run: nothing was written)" : "")"
        )
        try session.printer.print(summary.record)
        try session.printer.finish()
      }
    }
  }
}
