import ArgumentParser
import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// How records are printed.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
  case auto, jsonl, table, csv, markdown
  /// Documents and drawings, each for the commands that name it (`CommandSession(documents:)`):
  /// HTML for `itsm-report health`, Graphviz DOT and Mermaid for `itsm-fmea deps`.
  case html, dot, mermaid

  /// The formats every command prints records in.
  public static let recordFormats: [OutputFormat] = [.auto, .jsonl, .table, .csv, .markdown]
}

/// The flags every itsm command shares, with the same meaning in every tool.
public struct GlobalOptions: ParsableArguments {
  @Option(help: ArgumentHelp("The database file (else $ITSM_DB, else $XDG_DATA_HOME/itsm/itsm.db).", valueName: "path"))
  public var db: String?

  @Option(
    help: ArgumentHelp(
      "The policy file (else $ITSM_POLICY, else $XDG_CONFIG_HOME/itsm/policy.yaml if present, else built-in defaults).",
      valueName: "path"))
  public var policy: String?

  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "The time to act at: RFC 3339, a date, 'now' or relative like -2h (else $ITSM_NOW, else the clock).",
      valueName: "timestamp"))
  public var now: String?

  @Option(
    help: ArgumentHelp(
      "Who is acting, recorded on every event (else $ITSM_ACTOR, else the login name).", valueName: "name"))
  public var actor: String?

  @Option(
    help:
      "Output format: auto (a table on a terminal, else JSON Lines), jsonl, table, csv, markdown (itsm-report health adds html, itsm-fmea deps dot and mermaid)."
  )
  public var format: OutputFormat = .auto

  @Flag(name: .shortAndLong, help: "Print no messages but errors.")
  public var quiet = false

  public init() {}

  public var environment: [String: String] { ProcessInfo.processInfo.environment }

  /// The clock for this run: `--now`, else `$ITSM_NOW`, else the system clock.
  public func resolvedNow() throws -> Timestamp {
    let clock = Timestamp(Date())
    let text = now ?? environment["ITSM_NOW"].flatMap { $0.isEmpty ? nil : $0 }
    return try parseTimeFlag(text, flag: "--now", now: clock) ?? clock
  }

  public func resolvedActor() -> String {
    if let actor, !actor.isEmpty { return actor }
    if let fromEnv = environment["ITSM_ACTOR"], !fromEnv.isEmpty { return fromEnv }
    if let pw = getpwuid(geteuid()), let name = pw.pointee.pw_name { return String(cString: name) }
    return environment["USER"] ?? "unknown"
  }

  public func loadPolicy() throws -> Policy {
    try PolicyLoader.load(explicit: policy, environment: environment)
  }

  public var databasePath: String { DatabaseLocation.resolve(explicit: db, environment: environment) }

  public func openDatabaseForWriting() throws -> AppDatabase {
    try AppDatabase.openForWriting(path: databasePath, environment: environment)
  }

  /// Runs `body` with the database opened for writing. A dry run on a database that does not
  /// exist works on an empty one in memory, so that it creates no file. (A command that fails
  /// on a database it had to create leaves that database empty: removing the file again could
  /// race with another process that has just opened it.)
  public func withWritableDatabase<T>(dryRun: Bool, _ body: (AppDatabase) throws -> T) throws -> T {
    if dryRun && !FileManager.default.fileExists(atPath: databasePath) {
      return try body(AppDatabase.empty(standingFor: databasePath, environment))
    }
    return try body(try openDatabaseForWriting())
  }

  public func openDatabaseForReading() throws -> AppDatabase {
    try AppDatabase.openForReading(path: databasePath, environment: environment)
  }

  /// The format to print in, `auto` resolved by whether stdout is a terminal.
  public var resolvedFormat: OutputFormat {
    guard format == .auto else { return format }
    return isatty(STDOUT_FILENO) == 1 ? .table : .jsonl
  }
}

/// Flags of commands that read records.
public struct InputOptions: ParsableArguments {
  @Option(name: .shortAndLong, help: ArgumentHelp("Read JSON Lines from this file ('-' for stdin).", valueName: "file"))
  public var input: String = "-"

  @Flag(help: "Write the valid records and report each invalid line instead of writing nothing.")
  public var skipInvalid = false

  @Option(
    help: ArgumentHelp("With --skip-invalid, write rejected lines as JSON here (else to stderr).", valueName: "file"))
  public var rejects: String?

  public init() {}

  public func validate() throws {
    if rejects != nil && !skipInvalid {
      throw ValidationError("'--rejects' needs '--skip-invalid'")
    }
  }
}

/// `--dry-run`: do the work, print what would change, and roll it back.
public struct DryRunOption: ParsableArguments {
  @Flag(help: "Show what would change, and change nothing.")
  public var dryRun = false

  public init() {}
}

/// Parses the value of a timestamp flag; a bad one is a usage error naming the flag (exit 64).
public func parseTimeFlag(_ text: String?, flag: String, now: Timestamp) throws -> Timestamp? {
  guard let text else { return nil }
  do {
    return try TimestampParser.parse(text, now: now)
  } catch let error as ITSMError {
    throw ITSMError.usage("\(flag): \(error.messages.joined())")
  }
}

/// Parses `--since` and `--until`, refusing a window that ends before it starts (exit 64).
public func parseWindow(since: String?, until: String?, now: Timestamp) throws -> (since: Timestamp?, until: Timestamp?)
{
  let start = try parseTimeFlag(since, flag: "--since", now: now)
  let end = try parseTimeFlag(until, flag: "--until", now: now)
  if let start, let end, start > end {
    throw ITSMError.usage("--since (\(start)) is after --until (\(end))")
  }
  return (start, end)
}

/// Refuses a text flag with nothing but blanks (exit 64): a reason, a note, a name.
public func requireText(_ text: String, flag: String) throws {
  if text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
    throw ValidationError("'\(flag)' needs some text")
  }
}
