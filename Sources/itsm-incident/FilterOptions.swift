import ArgumentParser
import ITSMCommandSupport
import ITSMCore

/// The filters `list` and `export` share.
struct FilterOptions: ParsableArguments {
  @Flag(help: "Only open incidents (new, acknowledged, in_progress, on_hold).") var open = false
  @Option(help: ArgumentHelp("Only these statuses, comma-separated.", valueName: "status,...")) var status: [String] =
    []
  @Option(help: ArgumentHelp("Only these priorities, comma-separated.", valueName: "P1,...")) var priority: [String] =
    []
  @Option(help: ArgumentHelp("Only these services.", valueName: "service,...")) var service: [String] = []
  @Option(help: ArgumentHelp("Only these teams.", valueName: "team,...")) var team: [String] = []
  @Option(help: ArgumentHelp("Only these regions.", valueName: "region,...")) var region: [String] = []
  @Option(parsing: .unconditional, help: ArgumentHelp("Opened at or after this time.", valueName: "timestamp"))
  var since: String?
  @Option(parsing: .unconditional, help: ArgumentHelp("Opened before this time.", valueName: "timestamp")) var until:
    String?
  @Option(
    parsing: .unconditional,
    help: ArgumentHelp(
      "Sort by a field (\(IncidentSort.fields.keys.sorted().joined(separator: ", "))); field:desc reverses.",
      valueName: "field"))
  var sort: String = "id"
  @Option(help: "Print at most this many.") var limit: Int?

  func validate() throws {
    if open && !status.isEmpty { throw ValidationError("'--open' and '--status' are mutually exclusive") }
    for s in commaList(status) where IncidentStatus(rawValue: s) == nil {
      throw ValidationError("unknown status '\(s)' (expected \(IncidentStatus.names))")
    }
    for p in commaList(priority) where Priority(parsing: p) == nil {
      throw ValidationError("unknown priority '\(p)' (expected P1..P5)")
    }
    if let limit, limit < 0 { throw ValidationError("'--limit' must be 0 or more") }
    do { _ = try IncidentSort(parsing: sort) } catch let error as ITSMError {
      throw ValidationError(error.messages.joined())
    }
  }

  func filter(now: Timestamp) throws -> IncidentFilter {
    var filter = IncidentFilter()
    filter.statuses = open ? IncidentStatus.openStates : commaList(status).compactMap(IncidentStatus.init(rawValue:))
    filter.priorities = commaList(priority).compactMap(Priority.init(parsing:))
    filter.services = commaList(service)
    filter.teams = commaList(team)
    filter.regions = commaList(region)
    (filter.since, filter.until) = try parseWindow(since: since, until: until, now: now)
    filter.sort = try IncidentSort(parsing: sort)
    filter.limit = limit
    return filter
  }
}

/// Prints the incidents that pass the filters, streaming from the database.
func printIncidents(_ global: GlobalOptions, _ filters: FilterOptions) throws {
  try CommandRunner.run(tool: ITSMIncident.toolName) {
    let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
    let filter = try filters.filter(now: session.now)
    let database = try global.openDatabaseForReading()
    let printer = SendablePrinter(session.printer)
    let policy = session.policy
    try database.read { db in
      // The database is read on this thread while records are formatted on another.
      try pipelined(
        produce: { send in try IncidentStore(db, policy: policy).forEach(filter, send) },
        consume: { incident in try printer.printer.print(incident, policy: policy) })
    }
    try session.printer.finish()
  }
}

/// Hands the printer to the formatting thread of `pipelined`, which is its only user while
/// the pipeline runs.
struct SendablePrinter: @unchecked Sendable {
  let printer: RecordPrinter
  init(_ printer: RecordPrinter) { self.printer = printer }
}
