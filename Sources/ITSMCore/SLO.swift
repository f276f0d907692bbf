import Foundation

/// How bad an incident was for its service's availability.
public enum OutageLevel: String, CaseIterable, Sendable {
  case major, partial, degraded

  /// From the incident's `outage` tag, else from its impact (1 major, 2 partial, 3 degraded).
  public static func of(tags: [String: String], impact: Int?) -> OutageLevel? {
    if let tag = tags["outage"], let level = OutageLevel(rawValue: tag.lowercased()) { return level }
    switch impact {
    case 1?: return .major
    case 2?: return .partial
    case 3?: return .degraded
    default: return nil
    }
  }
}

/// Availability objectives: per tier (a service may set its own), the rolling window, and the
/// weight of each outage level.
public struct SLORules: Equatable, Sendable {
  public var window = DurationValue(seconds: 30 * 86_400)
  public var weights: [OutageLevel: Double] = [.major: 1.0, .partial: 0.3, .degraded: 0.0]
  public var tierTargets: [ServiceTier: Double] = [
    .vital: 0.9995, .critical: 0.999, .important: 0.995, .deferrable: 0.99,
  ]

  public init() {}
}

/// One incident's impact on its service: from impact start (else opening) to resolution
/// (else now), weighted by its outage level.
public struct ImpactInterval: Sendable {
  public var service: String
  public var start: Timestamp
  public var end: Timestamp?
  public var level: OutageLevel?

  public init(service: String, start: Timestamp, end: Timestamp?, level: OutageLevel?) {
    self.service = service
    self.start = start
    self.end = end
    self.level = level
  }

  /// Nil for a canceled incident (not a real outage).
  public init?(_ incident: Incident) {
    guard incident.status != .canceled else { return nil }
    // The first resolution ends the impact: a reopen days later does not make the days in
    // between downtime.
    let end = incident.firstResolvedAt ?? (incident.status.isOpen ? nil : incident.closedAt)
    self.init(
      service: incident.service, start: incident.startedAt ?? incident.openedAt, end: end,
      level: OutageLevel.of(tags: incident.tags, impact: incident.impact))
  }
}

/// Availability, error budget, burn rates and the multi-window alert state (Google SRE
/// Workbook) per service, at `now`.
public struct SLOCalculator {
  public let policy: Policy
  public let now: Timestamp
  private var intervals: [String: [(Int64, Int64, Double)]] = [:]
  private var counted: [String: Int] = [:]

  public init(policy: Policy, now: Timestamp) {
    self.policy = policy
    self.now = now
  }

  /// The longest look-back any figure needs.
  public var earliest: Timestamp { Timestamp(seconds: now.seconds - max(policy.slo.window.seconds, 30 * 86_400)) }

  public mutating func add(_ i: ImpactInterval) {
    let end = min(i.end ?? now, now)
    guard let level = i.level, end > earliest, i.start < now else { return }
    let weight = policy.slo.weights[level] ?? 0
    counted[i.service, default: 0] += 1
    guard weight > 0, end > i.start else { return }
    intervals[i.service, default: []].append((i.start.seconds, end.seconds, weight))
  }

  /// Weighted bad seconds in [from, now): overlapping intervals merged, the heaviest weight
  /// counting where they overlap.
  static func badSeconds(_ spans: [(Int64, Int64, Double)], from: Int64, to: Int64) -> Double {
    var edges: [(Int64, Int, Double)] = []  // time, +1 start / -1 end, weight
    for (s, e, w) in spans {
      let a = max(s, from)
      let b = min(e, to)
      guard b > a else { continue }
      edges.append((a, 1, w))
      edges.append((b, -1, w))
    }
    edges.sort { ($0.0, $0.1) < ($1.0, $1.1) }
    var active: [Double: Int] = [:]
    var total = 0.0
    var last: Int64 = from
    for (t, kind, w) in edges {
      if let top = active.keys.max(), t > last { total += Double(t - last) * top }
      last = t
      active[w, default: 0] += kind
      if active[w] == 0 { active[w] = nil }
    }
    return total
  }

  public func target(for service: String) -> (Double, ServiceTier) {
    let entry = policy.services[service]
    let tier = entry?.tier ?? .important
    return (entry?.slo ?? policy.slo.tierTargets[tier] ?? 0.995, tier)
  }

  /// One `slo` record per service: those of the catalog and any other with incidents.
  public func records(only service: String? = nil) -> [JSONObject] {
    var names = Set(policy.services.keys).union(counted.keys)
    if let service { names = names.filter { $0 == service } }
    return names.sorted().map { name in
      let (goal, tier) = target(for: name)
      let spans = intervals[name] ?? []
      let window = Double(policy.slo.window.seconds)
      let bad = SLOCalculator.badSeconds(spans, from: now.seconds - policy.slo.window.seconds, to: now.seconds)
      let budget = (1 - goal) * window
      func burn(_ seconds: Int64) -> Double {
        let ratio = SLOCalculator.badSeconds(spans, from: now.seconds - seconds, to: now.seconds) / Double(seconds)
        return ratio / (1 - goal)
      }
      let b5m = burn(300)
      let b30m = burn(1800)
      let b1h = burn(3600)
      let b6h = burn(6 * 3600)
      let b3d = burn(3 * 86_400)
      let b30d = burn(30 * 86_400)
      let alert: String
      if (b1h >= 14.4 && b5m >= 14.4) || (b6h >= 6 && b30m >= 6) {
        alert = "page"
      } else if b3d >= 1 && b6h >= 1 {
        alert = "ticket"
      } else {
        alert = "none"
      }
      var o = JSONObject()
      o.add("kind", .string("slo"))
      o.add("service", .string(name))
      o.add("tier", .string(tier.rawValue))
      o.add("target", .double(goal))
      o.add("window_days", .double(round(window / 86_400, 2)))
      o.add("incidents", .int(Int64(counted[name] ?? 0)))
      o.add("availability", .double(round(1 - bad / window, 6)))
      o.add("error_budget_min", .double(round(budget / 60, 1)))
      o.add("budget_spent_min", .double(round(bad / 60, 1)))
      o.add("budget_remaining_min", .double(round((budget - bad) / 60, 1)))
      o.add("budget_remaining_ratio", .double(round(budget > 0 ? (budget - bad) / budget : 0, 4)))
      o.add("burn_rate_1h", .double(round(b1h, 2)))
      o.add("burn_rate_6h", .double(round(b6h, 2)))
      o.add("burn_rate_3d", .double(round(b3d, 2)))
      o.add("burn_rate_30d", .double(round(b30d, 2)))
      o.add("alert", .string(alert))
      o.add("budget_exhausted", .bool(bad >= budget))
      return o
    }
  }
}
