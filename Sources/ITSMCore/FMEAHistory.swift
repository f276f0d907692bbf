import Foundation
import GRDB

/// What the incidents of a window say about one failure mode.
public struct ModeHistory: Sendable {
  public var incidents = 0
  /// Incidents that name the mode in `failure_mode`.
  public var linkedByID = 0
  /// Incidents of the mode's service with its cause as root cause, naming no mode.
  public var linkedByCause = 0
  public var detectedBy: [DetectionSource: Int] = [:]
  public var detectionUnknown = 0
  public var ackMinutes: [Double] = []
  public var lostMinutes: Double = 0
  public var cost: Double = 0

  public init() {}

  public var mttaMedianMinutes: Double? {
    ackMinutes.isEmpty ? nil : Summary.percentile(ackMinutes.sorted(), 0.5)
  }

  mutating func merge(_ other: ModeHistory) {
    incidents += other.incidents
    linkedByID += other.linkedByID
    linkedByCause += other.linkedByCause
    detectedBy.merge(other.detectedBy, uniquingKeysWith: +)
    detectionUnknown += other.detectionUnknown
    ackMinutes += other.ackMinutes
    lostMinutes += other.lostMinutes
    cost += other.cost
  }

  mutating func add(detection: DetectionSource?, ack: Double?, lost: Double?, cost: Double?) {
    incidents += 1
    if let detection { detectedBy[detection, default: 0] += 1 } else { detectionUnknown += 1 }
    if let ack { ackMinutes.append(ack) }
    lostMinutes += lost ?? 0
    self.cost += cost ?? 0
  }
}

/// Ties incidents to failure modes: an incident that names a mode in `failure_mode` is an
/// occurrence of it; one that names none is an occurrence of every mode of its service whose
/// cause is its root cause (trimmed, case-insensitive).
public struct FMEAHistory: Sendable {
  let modes: [FailureMode]
  let byID: [String: Int]
  /// Per service that has modes with a cause: the modes by normalized cause.
  let serviceSlot: [String: Int]
  let byCause: [[String: [Int]]]
  let policy: Policy

  public init(modes: [FailureMode], policy: Policy) {
    self.modes = modes
    self.policy = policy
    var byID: [String: Int] = [:]
    var serviceSlot: [String: Int] = [:]
    var byCause: [[String: [Int]]] = []
    for (index, mode) in modes.enumerated() {
      byID[mode.id] = index
      guard let key = IncidentFacts.causeKey(mode.cause) else { continue }
      let slot = serviceSlot[mode.service] ?? byCause.count
      if slot == byCause.count {
        serviceSlot[mode.service] = slot
        byCause.append([:])
      }
      byCause[slot][key, default: []].append(index)
    }
    self.byID = byID
    self.serviceSlot = serviceSlot
    self.byCause = byCause
  }

  /// The history of each mode (same order as `modes`) over the incidents opened in
  /// [since, until), canceled ones left out. Large tables are split between the cores, each
  /// part read on its own connection to `database` (so, outside a write transaction, parts may
  /// see commits made after `db`'s snapshot began); `db` reads small ones. Callers inside a
  /// write transaction scan before they write: the parts cannot see uncommitted changes.
  public static func scan(
    _ database: AppDatabase?, _ db: Database, modes: [FailureMode], since: Timestamp, until: Timestamp,
    policy: Policy, environment: [String: String], splitOver rowsPerPart: Int64 = 100_000
  ) throws -> [ModeHistory] {
    let history = FMEAHistory(modes: modes, policy: policy)
    let bounds = try Row.fetchOne(db, sql: "SELECT (SELECT min(num) FROM incidents), (SELECT max(num) FROM incidents)")
    guard let low: Int64 = bounds?[0], let high: Int64 = bounds?[1] else {
      return Array(repeating: ModeHistory(), count: modes.count)
    }
    // A large table is read in slices of the window, one per core; each slice is an indexed
    // range of opening times, so a short window reads only its own incidents.
    let cores = min(max(ProcessInfo.processInfo.activeProcessorCount, 2), 4)
    let parts = high - low < rowsPerPart || until.seconds - since.seconds < Int64(cores) ? 1 : cores
    let step = (until.seconds - since.seconds) / Int64(parts)
    let slices = (0..<parts).map { part in
      (
        Timestamp(seconds: since.seconds + Int64(part) * step),
        part == parts - 1 ? until : Timestamp(seconds: since.seconds + Int64(part + 1) * step)
      )
    }
    let partial =
      try database?.readInParallel(parts: parts, environment: environment) { part, db in
        try history.scan(db, since: slices[part].0, until: slices[part].1)
      } ?? [try history.scan(db, since: since, until: until)]
    var merged = partial[0]
    for more in partial.dropFirst() {
      for index in merged.indices { merged[index].merge(more[index]) }
    }
    return merged
  }

  /// One part of the scan: the incidents opened in [since, until).
  func scan(_ db: Database, since: Timestamp, until: Timestamp) throws -> [ModeHistory] {
    var histories = Array(repeating: ModeHistory(), count: modes.count)
    // What each raw root cause seen so far matches, per service: one lookup per incident.
    var seen = Array(repeating: [String: [Int]](), count: byCause.count)
    let sql = """
      SELECT failure_mode, service, root_cause, detection, opened_at, acknowledged_at, users_affected,
        coalesce(started_at, opened_at), resolved_at
      FROM incidents WHERE opened_at >= ? AND opened_at < ? AND status <> 'canceled'
      """
    var statement = RawStatement(try db.makeStatement(sql: sql))
    statement.bind(since.seconds)
    statement.bind(until.seconds)
    try statement.forEachRow { c in
      var targets: [Int] = []
      var byName = false
      if let name = c.string(0) {
        // An incident that names a mode is an occurrence of that one only (of none, when it
        // is not among the modes asked about).
        guard let index = byID[name] else { return }
        targets = [index]
        byName = true
      } else if let service = c.string(1), let slot = serviceSlot[service], let raw = c.string(2) {
        if let known = seen[slot][raw] {
          targets = known
        } else {
          targets = IncidentFacts.causeKey(raw).flatMap { byCause[slot][$0] } ?? []
          seen[slot][raw] = targets
        }
      }
      guard !targets.isEmpty, let opened = c.time(4) else { return }
      let detection = c.string(3).flatMap(DetectionSource.init(rawValue:))
      let ack = c.time(5).map { max(0, $0.minutes(since: opened)) }
      var lost: Double?
      if let users = c.int(6), let start = c.time(7), let end = c.time(8) {
        lost = Incident.productivityLoss(users: Int(users), from: start, to: end)
      }
      for index in targets {
        let service = modes[index].service
        histories[index].add(
          detection: detection, ack: ack, lost: lost,
          cost: lost.map { policy.cost(ofLostMinutes: $0, service: service) })
        if byName { histories[index].linkedByID += 1 } else { histories[index].linkedByCause += 1 }
      }
    }
    return histories
  }
}

/// Occurrence and Detection proposed for one mode from its history.
public struct FMEAProposal: Sendable {
  public var mode: FailureMode
  public var proposed: FMEAScores
  public var basis: JSONObject

  public var changed: Bool { proposed != mode.scores }

  /// Proposes Occurrence from how often the mode happened in a window of `windowDays`, and
  /// Detection from how its incidents were found (unchanged when none says).
  public init(mode: FailureMode, history: ModeHistory, windowDays: Double) {
    self.mode = mode
    var proposed = mode.scores
    proposed.occurrence = FMEAScales.occurrence(count: history.incidents, windowDays: windowDays)
    let mtta = history.mttaMedianMinutes
    if let detection = FMEAScales.detection(sources: history.detectedBy, mttaMedianMinutes: mtta) {
      proposed.detection = detection
    }
    self.proposed = proposed
    var basis = JSONObject()
    basis.add("window_days", .double(windowDays))
    basis.add("incidents", .int(Int64(history.incidents)))
    basis.add("linked_by_id", .int(Int64(history.linkedByID)))
    basis.add("linked_by_cause", .int(Int64(history.linkedByCause)))
    basis.add("per_year", .double((Double(history.incidents) * 365 / max(windowDays, 1) * 10).rounded() / 10))
    var detected = JSONObject()
    for source in DetectionSource.allCases {
      if let n = history.detectedBy[source] { detected.add(source.rawValue, .int(Int64(n))) }
    }
    basis.add("detected_by", .object(detected))
    if history.detectionUnknown > 0 { basis.add("detection_unknown", .int(Int64(history.detectionUnknown))) }
    basis.add("mtta_p50_min", mtta.map { .double(($0 * 10).rounded() / 10) })
    self.basis = basis
  }

  /// The record of kind `fmea.proposal`.
  public func record(applied: Bool) -> JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.proposal")), JSONField("id", .string(mode.id))])
    o.add("service", .string(mode.service))
    o.add("component", .string(mode.component))
    o.add("severity", .int(Int64(mode.scores.severity)))
    o.add("occurrence", .int(Int64(mode.scores.occurrence)))
    o.add("proposed_occurrence", .int(Int64(proposed.occurrence)))
    o.add("detection", .int(Int64(mode.scores.detection)))
    o.add("proposed_detection", .int(Int64(proposed.detection)))
    o.add("rpn", .int(Int64(mode.scores.rpn)))
    o.add("proposed_rpn", .int(Int64(proposed.rpn)))
    o.add("action_priority", .string(mode.scores.actionPriority.rawValue))
    o.add("proposed_action_priority", .string(proposed.actionPriority.rawValue))
    o.add("changed", .bool(changed))
    o.add("applied", .bool(applied))
    o.add("basis", .object(basis))
    return o
  }
}

/// The remediation order: Action Priority first, then the RPN weighted by the service's tier
/// and by what its incidents cost in the window (business impact analysis).
public struct FMEARiskEntry: Sendable {
  public var mode: FailureMode
  public var tier: ServiceTier?
  public var history: ModeHistory
  public var score: Double

  /// vital 4, critical 3, important 2, deferrable or unknown 1.
  public static func weight(of tier: ServiceTier?) -> Double {
    switch tier {
    case .vital?: return 4
    case .critical?: return 3
    case .important?: return 2
    case .deferrable?, nil: return 1
    }
  }

  /// 1 with no measured cost, 2 at 9,000 a year, 3 at 99,000: log-scaled, so that money
  /// reorders modes of similar RPN without drowning the RPN.
  public static func exposure(cost: Double) -> Double { 1 + log10(1 + max(0, cost) / 1000) }

  public init(mode: FailureMode, tier: ServiceTier?, history: ModeHistory) {
    self.mode = mode
    self.tier = tier
    self.history = history
    score = Double(mode.scores.rpn) * FMEARiskEntry.weight(of: tier) * FMEARiskEntry.exposure(cost: history.cost)
  }

  /// Sorts entries into remediation order: AP, then weighted score, then RPN, then id.
  public static func ranked(_ entries: [FMEARiskEntry]) -> [FMEARiskEntry] {
    entries.sorted { a, b in
      let (pa, pb) = (a.mode.scores.actionPriority, b.mode.scores.actionPriority)
      if pa != pb { return pa > pb }
      if a.score != b.score { return a.score > b.score }
      return FMEAScores.higherRisk(a.mode.scores, b.mode.scores) ?? (a.mode.id < b.mode.id)
    }
  }

  /// The record of kind `fmea.risk`.
  public func record(rank: Int, currency: String) -> JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.risk")), JSONField("rank", .int(Int64(rank)))])
    o.add("id", .string(mode.id))
    o.add("service", .string(mode.service))
    o.add("component", .string(mode.component))
    o.add("failure_mode", .string(mode.failureMode))
    o.add("tier", tier.map { .string($0.rawValue) })
    o.add("action_priority", .string(mode.scores.actionPriority.rawValue))
    o.add("rpn", .int(Int64(mode.scores.rpn)))
    o.add("tier_weight", .double(FMEARiskEntry.weight(of: tier)))
    o.add("incidents", .int(Int64(history.incidents)))
    o.add("lost_hours", .double((history.lostMinutes / 60 * 10).rounded() / 10))
    o.add("cost", .double((history.cost * 100).rounded() / 100))
    o.add("currency", .string(currency))
    o.add("score", .double((score * 10).rounded() / 10))
    o.add("owner", mode.owner.map { .string($0) })
    o.add("status", .string(mode.status.rawValue))
    o.add("open_actions", .int(Int64(mode.actions.filter { $0.doneAt == nil }.count)))
    return o
  }
}

extension FMEAStore {
  /// The modes in remediation order, with their incidents opened in [since, until).
  public func risks(
    modes: [FailureMode], policy: Policy, since: Timestamp, until: Timestamp, environment: [String: String]
  ) throws -> [FMEARiskEntry] {
    let histories = try FMEAHistory.scan(
      database, db, modes: modes, since: since, until: until, policy: policy, environment: environment)
    return FMEARiskEntry.ranked(
      zip(modes, histories).map { FMEARiskEntry(mode: $0, tier: policy.services[$0.service]?.tier, history: $1) })
  }
}
