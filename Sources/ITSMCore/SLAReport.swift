import Foundation

/// SLA attainment per priority (and any other grouping), as REFERENCE.md defines it: the
/// clocks that met their target over the clocks that completed or breached in the window,
/// with "breached now" (still running past the target) kept apart from "ever breached".
///
/// Clocks run as `itsm-escalate` runs them: response from opening to the first
/// acknowledgement (or the first resolution, when that came first), resolution from opening
/// to the first resolution, less the time on hold that itsm-escalate counted. Targets are
/// those of the policy given.
public struct SLACalculator {
  public let since: Timestamp?
  public let until: Timestamp?
  public let now: Timestamp
  public let dimensions: [MetricDimension]
  public let rules: SLARules

  private var table: GroupTable
  private var groups: [SLAAccumulator] = []

  /// Priority always leads the grouping: targets are per priority.
  public init(since: Timestamp?, until: Timestamp?, now: Timestamp, dimensions: [MetricDimension], rules: SLARules) {
    self.since = since
    self.until = until
    self.now = now
    self.dimensions = [.priority] + dimensions.filter { $0 != .priority }
    table = GroupTable(self.dimensions)
    self.rules = rules
  }

  private func contains(_ time: Timestamp) -> Bool {
    (since.map { time >= $0 } ?? true) && (until.map { time < $0 } ?? true) && time <= now
  }

  /// The outcome of one clock of one incident, if it counts in the window.
  enum ClockOutcome {
    case met, breachedAndStopped, breachedRunning
  }

  func outcome(_ clock: SLAClock, _ f: IncidentFacts, target: SLATarget) -> ClockOutcome? {
    let stop = clock.stop(acknowledgedAt: f.acknowledgedAt, firstResolvedAt: f.firstResolvedAt)
    let breachAt = rules.breachAt(clock, openedAt: f.openedAt, target: target, heldSeconds: f.heldSeconds)
    if let stop {
      if stop <= breachAt { return contains(stop) ? .met : nil }
      return contains(stop) || contains(breachAt) ? .breachedAndStopped : nil
    }
    if f.status == .canceled { return nil }
    // On hold now: the resolution clock is paused, not running past its target.
    if rules.isPaused(clock, heldSince: f.heldSince) { return nil }
    guard f.status?.isOpen ?? true, breachAt <= now else { return nil }
    return contains(breachAt) ? .breachedRunning : nil
  }

  public mutating func add(_ f: IncidentFacts) {
    guard let target = rules.targets[f.priority] else { return }
    let response = outcome(.response, f, target: target)
    let resolution = outcome(.resolution, f, target: target)
    guard response != nil || resolution != nil else { return }
    let (index, isNew) = table.slot(of: f, at: f.openedAt)
    if isNew { groups.append(SLAAccumulator(target: target)) }
    groups[index].add(response: response, resolution: resolution)
  }

  /// One `sla.attainment` record per group, sorted by the group values.
  public func records() -> [JSONObject] {
    table.ordered.map { index in groups[index].record(group: table.object(index), since: since, until: until) }
  }
}

struct SLAAccumulator {
  let target: SLATarget
  var counts: [SLAClock: (met: Int, stoppedLate: Int, running: Int)] = [.response: (0, 0, 0), .resolution: (0, 0, 0)]
  var incidents = 0
  var everBreached = 0
  var breachedNow = 0

  mutating func add(response: SLACalculator.ClockOutcome?, resolution: SLACalculator.ClockOutcome?) {
    incidents += 1
    for (clock, outcome) in [(SLAClock.response, response), (.resolution, resolution)] {
      switch outcome {
      case .met?: counts[clock]!.met += 1
      case .breachedAndStopped?: counts[clock]!.stoppedLate += 1
      case .breachedRunning?: counts[clock]!.running += 1
      case nil: break
      }
    }
    let outcomes = [response, resolution]
    if outcomes.contains(where: { $0 == .breachedAndStopped || $0 == .breachedRunning }) { everBreached += 1 }
    if outcomes.contains(where: { $0 == .breachedRunning }) { breachedNow += 1 }
  }

  func record(group: JSONObject, since: Timestamp?, until: Timestamp?) -> JSONObject {
    var o = JSONObject()
    o.add("kind", .string("sla.attainment"))
    o.add("group", .object(group))
    o.add("since", since.map { .string($0.rfc3339) })
    o.add("until", until.map { .string($0.rfc3339) })
    o.add("incidents", .int(Int64(incidents)))
    for clock in SLAClock.allCases {
      let c = counts[clock]!
      let name = clock.rawValue
      let goal = clock == .response ? target.response : target.resolution
      let counted = c.met + c.stoppedLate + c.running
      o.add("\(name)_target_min", .double(Double(goal.seconds) / 60))
      o.add("\(name)_counted", .int(Int64(counted)))
      o.add("\(name)_met", .int(Int64(c.met)))
      o.add("\(name)_breached", .int(Int64(c.stoppedLate + c.running)))
      o.add("\(name)_attainment", counted == 0 ? nil : .double(round(Double(c.met) / Double(counted), 4)))
    }
    o.add("ever_breached", .int(Int64(everBreached)))
    o.add("breached_now", .int(Int64(breachedNow)))
    return o
  }
}
