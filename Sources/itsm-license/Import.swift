import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Import apps, accounts, assignments or activity, from JSON Lines or CSV.",
      discussion: """
        Records (JSON Lines, or CSV with the same column names):
          apps: app, sku, tier_rank, unit_cost, cost_period (month|year), seats, billing, vendor, renewal_date, notice_days
          accounts: id (the source's stable user id), email, name, manager (an account id), department, hr_status (active|departed), departed_at, hired_at
          assignments: account, app, sku, since
          activity: account, app, last_active_at, observed_at (else --observed-at, else now)
        Apps upsert by app and SKU, accounts by id (a new e-mail address updates the same account), assignments by account, app and SKU; activity observations are kept, one per account, app and snapshot: the same snapshot again changes nothing.

        Here --format names the input: jsonl (the default; csv when the file name ends in .csv) or csv. --preset reads a vendor's own activity export (CSV) with its columns and date formats: m365 (id, signInActivity.lastSuccessfulSignInDateTime), google (id, lastLoginTime), slack (daily member analytics: date, user_id, is_active; the last activity is the last active day), atlassian (Atlassian ID, Last active). A missing column is named (exit 65); so is a date in no known format, with its line and column.

        Examples:
          itsm-license import apps --input apps.jsonl
          itsm-license import activity --preset m365 --app m365 --input entra-users.csv --observed-at 2026-11-01
          for f in slack/*.csv; do itsm-license import activity --preset slack --input "$f" -q; done
        """)

    enum Kind: String, ExpressibleByArgument, CaseIterable {
      case apps, accounts, assignments, activity
    }

    @OptionGroup var global: GlobalOptions
    @OptionGroup var input: InputOptions
    @OptionGroup var dryRun: DryRunOption

    @Argument(help: "What the records are: apps, accounts, assignments or activity.") var kind: Kind
    @Option(help: "Read a vendor's activity export: m365, google, slack or atlassian (CSV).") var preset: String?
    @Option(help: "The app the activity is for (with --preset; default: the preset's name).") var app: String?
    @Option(help: ArgumentHelp("When the snapshot was taken (else now).", valueName: "timestamp")) var observedAt:
      String?

    func validate() throws {
      if let preset {
        guard LicensePreset(rawValue: preset) != nil else {
          throw ValidationError("unknown preset '\(preset)' (expected m365, google, slack or atlassian)")
        }
        if kind != .activity { throw ValidationError("'--preset' reads activity exports: use 'import activity'") }
        if global.format == .jsonl { throw ValidationError("'--preset' reads CSV; '--format jsonl' contradicts it") }
      }
      if app != nil && preset == nil { throw ValidationError("'--app' names the app of a '--preset' export") }
      if observedAt != nil && preset == "slack" {
        throw ValidationError("'--observed-at' does not apply to --preset slack: each row has its own date")
      }
      if ![.auto, .jsonl, .csv].contains(global.format) {
        throw ValidationError("'itsm-license import' reads --format jsonl or csv")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        var options = global
        let csv =
          preset != nil || global.format == .csv
          || (global.format == .auto && input.input.lowercased().hasSuffix(".csv"))
        options.format = .jsonl
        let session = try CommandSession(options, tool: ITSMLicense.toolName)
        let observed = try parseTimeFlag(observedAt, flag: "--observed-at", now: session.now) ?? session.now
        let reader = try LineReader(path: input.input)
        let rejects = input.skipInvalid ? try RejectSink(path: input.rejects) : nil
        let decode = try decoder(observed: observed)
        let kindName = kind.rawValue
        let (summary, unknown, counts) = try withLicenses(session, source: "import", dryRun: dryRun.dryRun) { store in
          let stream = RecordStream(skipInvalid: input.skipInvalid)
          let apply: (LicenseInput, Int) throws -> Void = { record, _ in try store.apply(record) }
          let onReject: (Int, String, UnsafeBufferPointer<UInt8>) throws -> Void = {
            try rejects?.reject(line: $0, reason: $1, input: $2)
          }
          let counts: RecordCounts
          if csv {
            let source = reader.sourceName
            let presetValue = preset.flatMap(LicensePreset.init(rawValue:))
            let required = requiredColumns
            counts = try stream.run(
              csv: reader,
              header: { header in
                if let presetValue { return try presetValue.check(header, source: source) }
                for name in required where header.column([name]) == nil {
                  throw ITSMError.badInputLines(["\(source):1: missing column '\(name)'"], more: 0)
                }
              }, decode: { row in try decode(row) }, apply: apply, onReject: onReject)
          } else {
            counts = try stream.run(
              reader,
              decode: { object in
                try LicenseInput.decode(kind: kindName, object, observed: observed)
              }, apply: apply, onReject: onReject)
          }
          return (store.summary, store.unknownAccounts, counts)
        }
        var result = summary
        result.read = counts.read
        result.rejected = counts.rejected
        if input.skipInvalid { Messages.writeError("\(result.changed) written, \(result.rejected) rejected") }
        if unknown > 0 {
          session.messages.warning(
            "\(unknown) accounts not in the directory were created with hr_status unknown (import accounts to name them)"
          )
        }
        session.messages.info(
          "\(reader.sourceName): \(result.read) read, \(result.created) created, \(result.updated) updated, "
            + "\(result.unchanged) unchanged\(dryRun.dryRun ? " (dry run: nothing was written)" : "")")
        var record = result.record
        record["kind"] = .string("summary")
        record["command"] = .string("license import \(kind.rawValue)")
        try session.printer.print(record)
        try session.printer.finish()
      }
    }

    var requiredColumns: [String] {
      switch kind {
      case .apps: return ["app", "sku", "unit_cost", "seats"]
      case .accounts: return ["id"]
      case .assignments: return ["account", "app", "sku"]
      case .activity: return ["account", "app"]
      }
    }

    /// Turns a CSV row into a record of this kind.
    func decoder(observed: Timestamp) throws -> @Sendable (CSVRow) throws -> LicenseInput {
      let kind = kind.rawValue
      if let preset = preset.flatMap(LicensePreset.init(rawValue:)) {
        let app = self.app ?? preset.rawValue
        return { row in .activity(try preset.activity(row, app: app, observedAt: observed)) }
      }
      return { row in
        var object = JSONObject()
        for (key, value) in row.sortedByName where !value.isEmpty { object.add(key, .string(value)) }
        return try LicenseInput.decode(kind: kind, object, observed: observed)
      }
    }
  }
}

/// One imported record of any kind.
enum LicenseInput: Sendable {
  case app(LicenseApp)
  case account(LicenseAccount)
  case assignment(LicenseRecords.Assignment)
  case activity(LicenseRecords.Activity)

  static func decode(kind: String, _ object: JSONObject, observed: Timestamp) throws -> LicenseInput {
    switch kind {
    case "apps": return .app(try LicenseRecords.app(object))
    case "accounts": return .account(try LicenseRecords.account(object))
    case "assignments": return .assignment(try LicenseRecords.assignment(object))
    default: return .activity(try LicenseRecords.activity(object, observedDefault: observed))
    }
  }
}

extension LicenseStore {
  func apply(_ record: LicenseInput) throws {
    switch record {
    case .app(let app): try importApp(app)
    case .account(let account): try importAccount(account)
    case .assignment(let assignment): try importAssignment(assignment)
    case .activity(let activity): try importActivity(activity)
    }
  }
}
