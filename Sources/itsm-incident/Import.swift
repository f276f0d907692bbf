import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import incident records (JSON Lines), upserting by id.",
      discussion: """
        Records may come from 'export', from another system or from jq. 'id' is optional when 'opened_at' is given (a stable one is derived from service, title and opened_at); give 'priority' or 'impact' and 'urgency'. Historic times are kept and the timeline is synthesized from them (source 'import'). Unknown keys are kept under 'extra'. Re-importing the same input changes nothing. Prints a summary record; one bad line writes nothing (exit 65) unless --skip-invalid is given.

        CSV from other tools (Jira Service Management and the like): --map renames the export's columns to incident fields, --priority-map translates its priority names; columns the map does not name keep their own names when those are incident fields, else go under 'extra'. Empty cells and '?' are absent. Dates are read as RFC 3339, in --date-format (yyyy MM MMM dd HH hh mm ss a), or as yyyy-MM-dd HH:mm:ss, dd-MM-yyyy HH:mm or MM/dd/yyyy hh:mm:ss a, in --timezone (default UTC); one in no format is refused with its line and column. A mapped column missing from the header is named (exit 65).

        --from servicenow reads ServiceNow's list or audit-history export of the incident table (number, short_description, incident_state or state, priority, impact, urgency, cmdb_ci, assignment_group, assigned_to, opened_at, sys_updated_at, sys_mod_count, resolved_at, closed_at, ...): choice values such as '1 - Critical', '?' or an empty cell as missing, dates in the instance's format (detected, or --date-format) and --timezone. Consecutive rows of one number (an audit history) become one incident whose timeline has each state change, reassignment and priority change at its sys_updated_at; the first move to work counts as the acknowledgement. The number is the id; made_sla, problem and change references and every other column stay under 'extra'; values outside ServiceNow's choices are kept there too, with a warning. Re-importing changes nothing; a later export adds only what is new. Here --format csv (or a file name ending in .csv, or --map) means the input is CSV; the summary prints as JSON Lines.

        Examples:
          itsm-incident import --input incidents.jsonl
          jq -c '.[]' legacy.json | itsm-incident import --skip-invalid --rejects rejects.jsonl
          itsm-incident import --from servicenow --input incident.csv --timezone Europe/Berlin
          itsm-incident import --input jira.csv --map "Issue key=id,Summary=title,Component/s=service,Created=opened_at,Resolved=resolved_at,Priority=priority" --priority-map "Highest=P1,High=P2,Medium=P3,Low=P4,Lowest=P5" --date-format "dd/MMM/yy h:mm a"
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var dryRun: DryRunOption
    @Option(
      help: "Where the records come from: itsm (JSON Lines or mapped CSV) or servicenow (its incident export, CSV).")
    var from: Source = .itsm
    @Option(help: ArgumentHelp("CSV columns to incident fields: \"Column=field,...\".", valueName: "pairs")) var map:
      String?
    @Option(help: ArgumentHelp("Priority names to P1..P5: \"Highest=P1,...\".", valueName: "pairs"))
    var priorityMap: String?
    @Option(help: ArgumentHelp("The CSV's date pattern, such as \"dd/MM/yyyy HH:mm\".", valueName: "pattern"))
    var dateFormat: String?
    @Option(
      help: ArgumentHelp("The zone of the CSV's dates (IANA, such as Europe/Berlin; default UTC).", valueName: "zone"))
    var timezone: String?

    enum Source: String, ExpressibleByArgument, CaseIterable { case itsm, servicenow }

    func validate() throws {
      if from == .servicenow && (map != nil || priorityMap != nil) {
        throw ValidationError(
          "'--from servicenow' knows ServiceNow's columns: '--map' and '--priority-map' are for other CSV")
      }
      if let timezone, TimeZone(identifier: timezone) == nil {
        throw ValidationError(
          "'--timezone': unknown time zone '\(timezone)' (expected an IANA name such as Europe/Berlin)")
      }
      if ![.auto, .jsonl, .csv, .table].contains(global.format) {
        throw ValidationError("'itsm-incident import' reads --format jsonl or csv")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let csv =
          map != nil || priorityMap != nil || global.format == .csv
          || (global.format == .auto && input.input.lowercased().hasSuffix(".csv"))
        var options = global
        if options.format == .csv { options.format = .jsonl }
        let session = try CommandSession(options, tool: ITSMIncident.toolName, views: Views.all)
        let mapping = IncidentCSVMapping(
          columns: try map.map { try IncidentCSVMapping.pairs($0, flag: "--map") } ?? [:],
          priorities: try priorityMap.map { try IncidentCSVMapping.pairs($0, flag: "--priority-map") } ?? [:],
          dates: DateReader(pattern: dateFormat, timeZone: TimeZone(identifier: timezone ?? "UTC")!))
        let reader = try LineReader(path: input.input)
        let warnings = ChoiceWarnings()
        let rejects = input.skipInvalid ? try RejectSink(path: input.rejects) : nil
        let decoder = IncidentDecoder(policy: session.policy, now: session.now)
        let summary = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            let importer = try IncidentImporter(
              store: IncidentStore(db, policy: session.policy), context: session.context(source: "import"),
              now: session.now)
            importer.onWarning = { session.messages.warning($0) }
            let stream = RecordStream(skipInvalid: input.skipInvalid)
            let apply: (DecodedIncident, Int) throws -> Void = { incident, line in
              try importer.apply(incident, line: line, source: reader.sourceName)
            }
            let onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void = {
              try rejects?.reject(line: $0, reason: $1, input: $2)
            }
            let counts: RecordCounts
            if from == .servicenow {
              let source = reader.sourceName
              let servicenow = ServiceNowReader(decoder: decoder, dates: mapping.dates, warnings: warnings)
              var history = ServiceNowHistory()
              var lastLine = 0
              let layout = LayoutBox()
              counts = try stream.run(
                csv: reader,
                header: { layout.value = try servicenow.layout(of: $0, source: source) },
                decode: { row, next in try servicenow.row(row, layout.value!, next: next) },
                apply: { row, line in
                  if let done = history.add(row) { try apply(done, lastLine) }
                  lastLine = line
                }, onReject: onReject)
              if let done = history.finish() { try apply(done, lastLine) }
            } else if csv {
              let source = reader.sourceName
              counts = try stream.run(
                csv: reader, header: { try mapping.check($0, source: source) },
                decode: { row in try decoder.decode(try mapping.record(row)) }, apply: apply, onReject: onReject)
            } else {
              counts = try stream.run(
                reader, decodeText: { try decoder.decode(json: $0) }, apply: apply, onReject: onReject)
            }
            try importer.finish()
            var summary = importer.summary
            summary.read = counts.read
            summary.rejected = counts.rejected
            return summary
          }
        }
        let unknown = warnings.summary
        if !unknown.isEmpty {
          session.messages.warning(
            "values outside ServiceNow's choices were kept under extra: " + unknown.prefix(5).joined(separator: ", ")
              + (unknown.count > 5 ? " and \(unknown.count - 5) more" : ""))
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

/// Where the columns of a ServiceNow export are, set once on the reading thread from the
/// header, before any row is handed to a decoding thread.
final class LayoutBox: @unchecked Sendable {
  var value: ServiceNowReader.Layout?
}
