import Foundation

/// One row of a ServiceNow `incident` export: the incident as that row shows it, and what
/// the audit history needs to tell one update from the next.
public struct ServiceNowRow: Sendable {
  public var number: String
  public var modCount: Int?
  public var updatedAt: Timestamp?
  public var state: IncidentStatus?
  public var team: String?
  public var assignee: String?
  public var priority: Priority?
  /// The incident as this row has it; nil when the next row of the same incident is known to
  /// supersede it (`superseded(number:modCount:by:)`), as only the last update's row becomes the incident.
  /// Held by reference: rows are copied on their way to the writer, and incidents are large.
  public var decoded: Decoded?

  public final class Decoded: Sendable {
    public let incident: DecodedIncident
    init(_ incident: DecodedIncident) { self.incident = incident }
  }

  /// Whether `later`, the next row, is sure to win over a row with this number and
  /// sys_mod_count when the rows of an incident are ordered by sys_mod_count
  /// (`ServiceNowHistory`): then that row's incident need not be kept. Rows without a
  /// sys_mod_count keep their order; a row with one and a row without are not compared here.
  static func superseded(number: String, modCount: Int?, by later: ServiceNowRow) -> Bool {
    guard later.number == number else { return false }
    switch (modCount, later.modCount) {
    case (let a?, let b?): return b >= a
    case (nil, nil): return true
    default: return false
    }
  }
}

/// Values a row holds that are not among ServiceNow's choices: kept under `extra`, counted
/// and reported once at the end (decoding runs on the reading thread).
public final class ChoiceWarnings: @unchecked Sendable {
  private let lock = NSLock()
  private var seen: [String: Int] = [:]

  public init() {}

  func add(_ column: String, _ value: String) {
    lock.lock()
    seen["\(column) '\(value)'", default: 0] += 1
    lock.unlock()
  }

  /// `column 'value' (n)`, most frequent first.
  public var summary: [String] {
    lock.lock()
    defer { lock.unlock() }
    return seen.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map { "\($0.key) (\($0.value))" }
  }
}

/// Reads ServiceNow's list and audit-history exports of the `incident` table (REFERENCE.md):
/// choice values such as "1 - Critical", missing values as an empty cell or `?`, dates in the
/// instance's format and zone.
public struct ServiceNowReader: Sendable {
  public let decoder: IncidentDecoder
  public let dates: DateReader
  public let warnings: ChoiceWarnings

  public init(decoder: IncidentDecoder, dates: DateReader, warnings: ChoiceWarnings) {
    self.decoder = decoder
    self.dates = dates
    self.warnings = warnings
  }

  /// Checks the header (a missing column is named) and finds where its columns are, once,
  /// so that rows are read by column number.
  public func layout(of header: CSVHeader, source: String) throws -> Layout {
    for field in [Field.number, .title, .opened] where header.column(field.names) == nil {
      throw ITSMError.badInputLines(
        ["\(source):1: missing column '\(field.names[0])' (a ServiceNow incident export has it)"], more: 0)
    }
    return Layout(header)
  }

  /// Where a header has the columns a row is read from.
  public struct Layout: Sendable {
    /// For each field, the columns that may hold it, in the order they are tried.
    fileprivate let fields: [[(name: String, index: Int)]]
    /// The columns kept under `extra`, in name order: all but those of the fields that
    /// become the incident's own.
    fileprivate let extra: [(name: String, index: Int)]

    fileprivate init(_ header: CSVHeader) {
      fields = Field.allCases.map { field in field.names.compactMap { name in header.index[name].map { (name, $0) } } }
      let mapped = Set(Field.allCases.filter(\.isIncidentField).flatMap(\.names))
      extra = header.sortedColumns.filter { !mapped.contains($0.name) }
    }
  }

  fileprivate enum Field: Int, CaseIterable {
    case number, title, service, state, priority, impact, urgency, team, assignee, opened, updated, resolved, closed
    case reassignmentCount, reopenCount, contactType, modCount

    /// Whether the column becomes an incident field; the others (read for the history or
    /// the detection) are also kept under `extra`.
    var isIncidentField: Bool {
      switch self {
      case .updated, .contactType, .modCount: return false
      default: return true
      }
    }

    var names: [String] {
      switch self {
      case .number: return ["number"]
      case .title: return ["short_description"]
      case .service: return ["cmdb_ci"]
      case .state: return ["incident_state", "state"]
      case .priority: return ["priority"]
      case .impact: return ["impact"]
      case .urgency: return ["urgency"]
      case .team: return ["assignment_group"]
      case .assignee: return ["assigned_to"]
      case .opened: return ["opened_at", "sys_created_at", "sys_created_on"]
      case .updated: return ["sys_updated_at", "sys_updated_on"]
      case .resolved: return ["resolved_at"]
      case .closed: return ["closed_at"]
      case .reassignmentCount: return ["reassignment_count"]
      case .reopenCount: return ["reopen_count"]
      case .contactType: return ["contact_type"]
      case .modCount: return ["sys_mod_count"]
      }
    }
  }

  /// `1 - Critical` as (1, "Critical"); `Critical` as (nil, "Critical"); `1` as (1, "1").
  static func choice(_ text: String) -> (Int?, String) {
    var text = text
    let parsed = text.withUTF8 { b -> (Int, String?)? in
      guard let (n, label) = number(b) else { return nil }
      return (n, label.map { String(decoding: UnsafeBufferPointer(rebasing: b[$0...]), as: UTF8.self).trimmingBlanks })
    }
    guard let (n, label) = parsed else { return (nil, text) }
    return (n, label ?? text)
  }

  /// The number of a choice, `2` of `2 - High` or of `2`: as `choice(text).0`, without
  /// making the label.
  static func choiceNumber(_ text: String) -> Int? {
    var text = text
    return text.withUTF8 { number($0)?.n }
  }

  /// The number that starts a choice and where its label starts after the dash (nil for a
  /// bare number); nil when the text is not a number, or a number and a dash.
  private static func number(_ b: UnsafeBufferPointer<UInt8>) -> (n: Int, label: Int?)? {
    var (i, n) = (0, 0)
    while i < b.count, i < 4, b[i] >= 48, b[i] <= 57 {
      n = n * 10 + Int(b[i] - 48)
      i += 1
    }
    guard i > 0 else { return nil }
    if i == b.count { return (n, nil) }
    while i < b.count, b[i] == 0x20 { i += 1 }
    guard i < b.count, b[i] == UInt8(ascii: "-") else { return nil }
    return (n, i + 1)
  }

  static func state(_ text: String) -> IncidentStatus? {
    let (n, label) = choice(text)
    switch (n, label.lowercased()) {
    case (1, _), (_, "new"): return .new
    case (2, _), (_, "in progress"), (_, "active"): return .inProgress
    case (3, _), (_, "on hold"), (_, "awaiting user info"): return .onHold
    case (6, _), (_, "resolved"): return .resolved
    case (7, _), (_, "closed"): return .closed
    case (8, _), (_, "canceled"), (_, "cancelled"): return .canceled
    default: return nil
    }
  }

  /// A time as the incident keeps it: one outside the years 0000 to 9999 (a zone's offset
  /// can move a date at either end past them) as RFC 3339 writes it, clamped to those years,
  /// as when rows were decoded through records.
  static func asWritten(_ time: Timestamp?) -> Timestamp? {
    guard let time, !Timestamp.supportedRange.contains(time.seconds) else { return time }
    return TimestampParser.parseAbsolute(time.rfc3339)
  }

  /// A value: empty cells and `?` are missing.
  private static func given(_ cell: String) -> String? {
    let v = cell.trimmingBlanks
    let bytes = v.utf8
    return bytes.isEmpty || (bytes.count == 1 && bytes.first == UInt8(ascii: "?")) ? nil : v
  }

  /// A row as a `ServiceNowRow`. With `next`, the row after it in the input (decoded first):
  /// when that row supersedes this one, this row is still checked in full, but keeps no
  /// incident and its other columns (those kept under `extra`) are not read.
  public func row(_ row: CSVRow, _ layout: Layout, next: ServiceNowRow? = nil) throws -> ServiceNowRow {
    let cells = row.cells
    func value(_ field: Field) -> (String, String)? {
      for column in layout.fields[field.rawValue] {
        if let v = ServiceNowReader.given(cells[column.index]) { return (column.name, v) }
      }
      return nil
    }
    func time(_ field: Field) throws -> Timestamp? {
      guard let (name, v) = value(field) else { return nil }
      guard let t = dates.read(v) else {
        throw RecordRejection(
          "column '\(name)': unparseable date '\(v)' (expected \(dates.patterns.joined(separator: ", ")) or RFC 3339)"
        )
      }
      return t
    }
    guard let (_, number) = value(.number) else { throw RecordRejection("'number' is empty") }
    let modCount = value(.modCount).flatMap { Int($0.1) }
    let superseded = next.map { ServiceNowRow.superseded(number: number, modCount: modCount, by: $0) } ?? false
    // The row goes straight into the decoder's fields, times as times: no record is built
    // and no time is written out as text to be parsed again.
    var f = IncidentFields()
    var extra = JSONObject()
    if !layout.extra.isEmpty { extra.fields.reserveCapacity(layout.extra.count + 3) }
    f.set(.id, .string(number))
    f.set(.title, value(.title).map { .string($0.1) })
    guard let (_, service) = value(.service) else {
      throw RecordRejection("'cmdb_ci' is empty: the service is unknown")
    }
    f.set(.service, .string(service))
    var state: IncidentStatus?
    if let (column, text) = value(.state) {
      state = ServiceNowReader.state(text)
      if state == nil {
        warnings.add(column, text)
        extra.add(column, .string(text))
      }
    }
    var priority: Priority?
    if let (column, text) = value(.priority) {
      priority = ServiceNowReader.choiceNumber(text).flatMap { Priority(rawValue: $0) }
      if priority == nil {
        warnings.add(column, text)
        extra.add(column, .string(text))
      }
    }
    f.set(.priority, priority.map { .string($0.description) })
    func scale(_ field: Field) -> JSONValue? {
      guard let (column, text) = value(field) else { return nil }
      if let n = ServiceNowReader.choiceNumber(text), (1...3).contains(n) { return .int(Int64(n)) }
      warnings.add(column, text)
      extra.add(column, .string(text))
      return nil
    }
    let (impact, urgency) = (scale(.impact), scale(.urgency))
    // With a priority, impact and urgency count only together.
    if priority == nil || (impact != nil && urgency != nil) {
      f.set(.impact, impact)
      f.set(.urgency, urgency)
    }
    f.set(.team, value(.team).map { .string($0.1) })
    f.set(.assignee, value(.assignee).map { .string($0.1) })
    let opened = try time(.opened)
    let updated = try time(.updated)
    var resolved = try time(.resolved)
    var closed = try time(.closed)
    if state == .closed && resolved == nil { resolved = closed }
    if state == .canceled {
      f.set(.canceledAt, time: ServiceNowReader.asWritten(closed ?? resolved ?? updated ?? opened))
      (resolved, closed) = (nil, nil)
    }
    if let state, state.isOpen { (resolved, closed) = (nil, nil) }
    if state == .resolved { closed = nil }
    f.set(.openedAt, time: ServiceNowReader.asWritten(opened))
    f.set(.resolvedAt, time: ServiceNowReader.asWritten(resolved))
    f.set(.closedAt, time: ServiceNowReader.asWritten(closed))
    f.set(.status, state.map { .string($0.rawValue) })
    func count(_ field: Field) -> JSONValue? {
      guard let (_, text) = value(field), let n = Int64(text), n >= 0 else { return nil }
      return .int(n)
    }
    f.set(.reassignmentCount, count(.reassignmentCount))
    f.set(.reopenCount, count(.reopenCount))
    if let (_, contact) = value(.contactType) {
      switch contact.lowercased() {
      case "monitoring", "event", "alert": f.set(.detection, .string("monitoring_alert"))
      case "phone", "email", "self-service", "walk-in", "chat", "virtual agent":
        f.set(.detection, .string("user_report"))
      default: break
      }
    }
    for column in layout.extra where !superseded {
      if let v = ServiceNowReader.given(cells[column.index]), extra[column.name] == nil {
        extra.add(column.name, .string(v))
      }
    }
    if !extra.isEmpty { f.set(.extra, .object(extra)) }
    var decoded = try decoder.decode(f)
    decoded.incident.updatedAt = max(decoded.incident.updatedAt, updated ?? decoded.incident.updatedAt)
    return ServiceNowRow(
      number: number, modCount: modCount, updatedAt: updated, state: state, team: decoded.incident.team,
      assignee: decoded.incident.assignee, priority: priority,
      decoded: superseded ? nil : ServiceNowRow.Decoded(decoded))
  }
}

/// Folds the rows of an audit-history export (one per update of an incident, the same
/// number repeated with sys_mod_count rising) into one incident with its timeline: state
/// changes, reassignments and priority changes, each an event at its row's sys_updated_at.
/// The first move to work on the incident counts as its acknowledgement. A plain list export
/// (one row per number) passes through unchanged.
public struct ServiceNowHistory {
  /// The rows of the incident so far, without their decoded incidents.
  private var rows: [ServiceNowRow] = []
  /// The incident of the row that wins so far: the highest sys_mod_count, the later row of two.
  private var winner: (key: Int, decoded: ServiceNowRow.Decoded)?

  public init() {}

  /// Adds a row; returns the previous incident when this row starts another.
  public mutating func add(_ row: ServiceNowRow) -> DecodedIncident? {
    var finished: DecodedIncident?
    if let first = rows.first, first.number != row.number { finished = finish() }
    var light = row
    light.decoded = nil
    rows.append(light)
    let key = row.modCount ?? (rows.count - 1)
    if let decoded = row.decoded, key >= (winner?.key ?? Int.min) { winner = (key, decoded) }
    return finished
  }

  /// The incident of the rows so far, if any.
  public mutating func finish() -> DecodedIncident? {
    guard !rows.isEmpty else { return nil }
    defer {
      rows.removeAll(keepingCapacity: true)
      winner = nil
    }
    // A row loses its decoded incident only to a later row that wins over it, so the row that
    // wins keeps its own.
    guard var result = winner?.decoded.incident else {
      preconditionFailure("the winning ServiceNow row lost its incident")
    }
    guard rows.count > 1 else { return result }
    let ordered = rows.enumerated().sorted {
      ($0.element.modCount ?? $0.offset, $0.offset) < ($1.element.modCount ?? $1.offset, $1.offset)
    }
    .map(\.element)
    var history: [EventDraft] = []
    for (before, after) in zip(ordered, ordered.dropFirst()) {
      guard let at = after.updatedAt else { continue }
      if before.state != after.state, let state = after.state {
        history.append(
          EventDraft(
            type: "state_changed", at: at,
            data: JSONObject([
              JSONField("before", before.state.map { .string($0.rawValue) } ?? .null),
              JSONField("after", .string(state.rawValue)),
            ])))
        if [.inProgress, .onHold, .resolved, .closed].contains(state), result.incident.acknowledgedAt == nil,
          at >= result.incident.openedAt
        {
          result.incident.acknowledgedAt = at
        }
        if state == .resolved, at < (result.incident.firstResolvedAt ?? at.advanced(by: 1)) {
          result.incident.firstResolvedAt = at
        }
      }
      if before.team != after.team || before.assignee != after.assignee {
        var data = JSONObject()
        data.add("team", after.team.map { .string($0) })
        data.add("assignee", after.assignee.map { .string($0) })
        data.add("previous_team", before.team.map { .string($0) })
        data.add("previous_assignee", before.assignee.map { .string($0) })
        history.append(EventDraft(type: "assigned", at: at, data: data))
      }
      if before.priority != after.priority, let p = after.priority {
        history.append(
          EventDraft(
            type: "priority_changed", at: at,
            data: JSONObject([
              JSONField("before", before.priority.map { .string($0.description) } ?? .null),
              JSONField("after", .string(p.description)),
            ])))
      }
    }
    result.history = history
    return result
  }
}

extension Timestamp {
  func advanced(by seconds: Int64) -> Timestamp { Timestamp(seconds: self.seconds + seconds) }
}
