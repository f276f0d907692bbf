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
  public var decoded: DecodedIncident
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

  static let required: [[String]] = [
    ["number"], ["short_description"], ["opened_at", "sys_created_at", "sys_created_on"],
  ]
  /// Columns that become incident fields; the others go under `extra`.
  static let mapped: Set<String> = [
    "number", "short_description", "cmdb_ci", "incident_state", "state", "priority", "impact", "urgency",
    "assignment_group", "assigned_to", "opened_at", "sys_created_at", "sys_created_on", "resolved_at", "closed_at",
    "reassignment_count", "reopen_count",
  ]

  public func check(_ header: CSVHeader, source: String) throws {
    for names in ServiceNowReader.required where header.column(names) == nil {
      throw ITSMError.badInputLines(
        ["\(source):1: missing column '\(names[0])' (a ServiceNow incident export has it)"], more: 0)
    }
  }

  /// `1 - Critical` as (1, "Critical"); `Critical` as (nil, "Critical"); `1` as (1, "1").
  static func choice(_ text: String) -> (Int?, String) {
    let bytes = Array(text.utf8)
    var n = 0
    var i = 0
    while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57, i < 4 {
      n = n * 10 + Int(bytes[i] - 48)
      i += 1
    }
    guard i > 0 else { return (nil, text) }
    if i == bytes.count { return (n, text) }
    var j = i
    while j < bytes.count, bytes[j] == 0x20 { j += 1 }
    guard j < bytes.count, bytes[j] == UInt8(ascii: "-") else { return (nil, text) }
    return (n, String(decoding: bytes[(j + 1)...], as: UTF8.self).trimmingBlanks)
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

  public func row(_ cells: [String: String]) throws -> ServiceNowRow {
    func value(_ names: String...) -> (String, String)? {
      for name in names {
        if let v = cells[name]?.trimmingBlanks, !v.isEmpty, v != "?" { return (name, v) }
      }
      return nil
    }
    func time(_ names: String...) throws -> Timestamp? {
      for name in names {
        guard let v = cells[name]?.trimmingBlanks, !v.isEmpty, v != "?" else { continue }
        guard let t = dates.read(v) else {
          throw RecordRejection(
            "column '\(name)': unparseable date '\(v)' (expected \(dates.patterns.joined(separator: ", ")) or RFC 3339)"
          )
        }
        return t
      }
      return nil
    }
    guard let (_, number) = value("number") else { throw RecordRejection("'number' is empty") }
    var o = JSONObject([JSONField("id", .string(number))])
    var extra = JSONObject()
    o.add("title", value("short_description").map { .string($0.1) })
    guard let (_, service) = value("cmdb_ci") else {
      throw RecordRejection("'cmdb_ci' is empty: the service is unknown")
    }
    o.add("service", .string(service))
    var state: IncidentStatus?
    if let (column, text) = value("incident_state", "state") {
      state = ServiceNowReader.state(text)
      if state == nil {
        warnings.add(column, text)
        extra.add(column, .string(text))
      }
    }
    var priority: Priority?
    if let (column, text) = value("priority") {
      let (n, _) = ServiceNowReader.choice(text)
      priority = n.flatMap { Priority(rawValue: $0) }
      if priority == nil {
        warnings.add(column, text)
        extra.add(column, .string(text))
      }
    }
    o.add("priority", priority.map { .string($0.description) })
    for column in ["impact", "urgency"] {
      guard let (_, text) = value(column) else { continue }
      if let n = ServiceNowReader.choice(text).0, (1...3).contains(n) {
        o.add(column, .int(Int64(n)))
      } else {
        warnings.add(column, text)
        extra.add(column, .string(text))
      }
    }
    if priority != nil, o["impact"] == nil || o["urgency"] == nil {
      o["impact"] = nil
      o["urgency"] = nil
    }
    o.add("team", value("assignment_group").map { .string($0.1) })
    o.add("assignee", value("assigned_to").map { .string($0.1) })
    let opened = try time("opened_at", "sys_created_at", "sys_created_on")
    let updated = try time("sys_updated_at", "sys_updated_on")
    var resolved = try time("resolved_at")
    var closed = try time("closed_at")
    if state == .closed && resolved == nil { resolved = closed }
    if state == .canceled {
      o.add("canceled_at", (closed ?? resolved ?? updated ?? opened).map { .string($0.rfc3339) })
      (resolved, closed) = (nil, nil)
    }
    if let state, state.isOpen { (resolved, closed) = (nil, nil) }
    if state == .resolved { closed = nil }
    o.add("opened_at", opened.map { .string($0.rfc3339) })
    o.add("resolved_at", resolved.map { .string($0.rfc3339) })
    o.add("closed_at", closed.map { .string($0.rfc3339) })
    o.add("status", state.map { .string($0.rawValue) })
    for column in ["reassignment_count", "reopen_count"] {
      if let (_, text) = value(column), let n = Int64(text), n >= 0 { o.add(column, .int(n)) }
    }
    if let (_, contact) = value("contact_type") {
      switch contact.lowercased() {
      case "monitoring", "event", "alert": o.add("detection", .string("monitoring_alert"))
      case "phone", "email", "self-service", "walk-in", "chat", "virtual agent":
        o.add("detection", .string("user_report"))
      default: break
      }
    }
    for (column, raw) in cells.sorted(by: { $0.key < $1.key }) where !ServiceNowReader.mapped.contains(column) {
      let v = raw.trimmingBlanks
      if !v.isEmpty && v != "?" && extra[column] == nil { extra.add(column, .string(v)) }
    }
    if !extra.isEmpty { o.add("extra", .object(extra)) }
    var decoded = try decoder.decode(o)
    decoded.incident.updatedAt = max(decoded.incident.updatedAt, updated ?? decoded.incident.updatedAt)
    return ServiceNowRow(
      number: number, modCount: value("sys_mod_count").flatMap { Int($0.1) }, updatedAt: updated, state: state,
      team: decoded.incident.team, assignee: decoded.incident.assignee, priority: priority, decoded: decoded)
  }
}

/// Folds the rows of an audit-history export (one per update of an incident, the same
/// number repeated with sys_mod_count rising) into one incident with its timeline: state
/// changes, reassignments and priority changes, each an event at its row's sys_updated_at.
/// The first move to work on the incident counts as its acknowledgement. A plain list export
/// (one row per number) passes through unchanged.
public struct ServiceNowHistory {
  private var rows: [ServiceNowRow] = []

  public init() {}

  /// Adds a row; returns the previous incident when this row starts another.
  public mutating func add(_ row: ServiceNowRow) -> DecodedIncident? {
    var finished: DecodedIncident?
    if let first = rows.first, first.number != row.number { finished = finish() }
    rows.append(row)
    return finished
  }

  /// The incident of the rows so far, if any.
  public mutating func finish() -> DecodedIncident? {
    guard !rows.isEmpty else { return nil }
    defer { rows.removeAll(keepingCapacity: true) }
    let ordered = rows.enumerated().sorted {
      ($0.element.modCount ?? $0.offset, $0.offset) < ($1.element.modCount ?? $1.offset, $1.offset)
    }
    .map(\.element)
    var result = ordered.last!.decoded
    guard ordered.count > 1 else { return result }
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
