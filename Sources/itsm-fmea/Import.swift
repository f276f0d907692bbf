import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import failure modes (JSON Lines, kind fmea.mode), upserting by id.",
      discussion: """
        Takes what 'export' prints, or records of your own with service, component, failure_mode, effect, cause, severity, occurrence and detection (1..10 each); id, function, prevention, detection_controls, owner, status and actions are optional. A record without id gets one derived from service, component and failure mode, so re-importing it finds it again. rpn and action_priority are computed, never read. Changed scores are recorded as an evaluation with reason 'import'. Re-importing the same input changes nothing. Prints a summary record.

        A service missing from the catalog rejects the line (exit 65) unless --allow-unknown-service is given, which turns it into a warning.

        Examples:
          itsm-fmea import --input register.jsonl
          itsm-fmea export | jq -c 'select(.service == "mail") | .owner = "team:messaging"' | itsm-fmea import
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var dryRun: DryRunOption
    @OptionGroup var unknownService: UnknownServiceOption

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        let reader = try LineReader(path: input.input)
        let rejects = input.skipInvalid ? try RejectSink(path: input.rejects) : nil
        let decoder = FailureModeDecoder(
          policy: session.policy, allowUnknownService: unknownService.allowUnknownService, now: session.now)
        let summary = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            let importer = FailureModeImporter(
              store: FMEAStore(db), context: session.context(source: "import"), now: session.now)
            importer.onWarning = { session.messages.warning($0) }
            let counts = try RecordStream(skipInvalid: input.skipInvalid).run(
              reader, decode: decoder.decode,
              apply: { mode, line in try importer.apply(mode, line: line, source: reader.sourceName) },
              onReject: { try rejects?.reject(line: $0, reason: $1, input: $2) })
            var summary = importer.summary
            summary.read = counts.read
            summary.rejected = counts.rejected
            return summary
          }
        }
        if input.skipInvalid { Messages.writeError("\(summary.changed) written, \(summary.rejected) rejected") }
        session.messages.info(
          "\(reader.sourceName): \(summary.read) read, \(summary.created) created, \(summary.updated) updated, "
            + "\(summary.unchanged) unchanged\(dryRun.dryRun ? " (dry run: nothing was written)" : "")")
        try session.printer.print(summary.record)
        try session.printer.finish()
      }
    }
  }
}
