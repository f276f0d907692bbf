import Foundation

/// Business impact per group: lost user-hours and what they cost, over the incidents opened
/// in a window, most costly first.
public struct ImpactCalculator {
  public let since: Timestamp?
  public let until: Timestamp?
  public let dimensions: [MetricDimension]
  private var table: GroupTable
  private var totals: [(incidents: Int, measured: Int, users: Int, minutes: Double, cost: Double)] = []

  public init(since: Timestamp?, until: Timestamp?, dimensions: [MetricDimension]) {
    self.since = since
    self.until = until
    self.dimensions = dimensions
    table = GroupTable(dimensions)
  }

  public mutating func add(_ f: IncidentFacts) {
    guard since.map({ f.openedAt >= $0 }) ?? true, until.map({ f.openedAt < $0 }) ?? true else { return }
    let (i, isNew) = table.slot(of: f, at: f.openedAt)
    if isNew { totals.append((0, 0, 0, 0, 0)) }
    totals[i].incidents += 1
    if let minutes = f.productivityLossMinutes {
      totals[i].measured += 1
      totals[i].minutes += minutes
      totals[i].cost += f.financialImpact ?? 0
      totals[i].users += f.usersAffected ?? 0
    }
  }

  /// One `impact` record per group, most costly first, then by lost hours and group.
  public func records(currency: String) -> [JSONObject] {
    // Most costly first, then most lost hours; ties in the order of the group values.
    var rank = [Int](repeating: 0, count: totals.count)
    for (position, i) in table.ordered.enumerated() { rank[i] = position }
    let order = totals.indices.sorted { a, b in
      (-totals[a].cost, -totals[a].minutes, rank[a]) < (-totals[b].cost, -totals[b].minutes, rank[b])
    }
    return order.map { i in
      let group = table.object(i)
      var o = JSONObject()
      o.add("kind", .string("impact"))
      o.add("group", .object(group))
      o.add("since", since.map { .string($0.rfc3339) })
      o.add("until", until.map { .string($0.rfc3339) })
      o.add("incidents", .int(Int64(totals[i].incidents)))
      o.add("with_loss", .int(Int64(totals[i].measured)))
      o.add("users_affected", .int(Int64(totals[i].users)))
      o.add("productivity_loss_hours", .double(round(totals[i].minutes / 60, 1)))
      o.add("financial_impact", .double(round(totals[i].cost, 2)))
      o.add("currency", .string(currency))
      return o
    }
  }
}

/// Repeat incidents (REFERENCE.md): same service and same root cause as another incident
/// opened in the `window` before. Reports each service and cause that repeated in
/// [since, until), with the incidents involved, most repeats first.
public struct RepeatFinder {
  public let since: Timestamp?
  public let until: Timestamp?
  public let window: DurationValue
  private var chains: [String: [(at: Timestamp, id: String, minutes: Double, cost: Double)]] = [:]
  private var causes: [String: (service: String, cause: String)] = [:]

  public init(since: Timestamp?, until: Timestamp?, window: DurationValue) {
    self.since = since
    self.until = until
    self.window = window
  }

  public mutating func add(_ f: IncidentFacts) {
    guard let cause = f.causeKey, until.map({ f.openedAt < $0 }) ?? true else { return }
    let key = f.service + "\u{1F}" + cause
    causes[key] = (f.service, cause)
    chains[key, default: []].append((f.openedAt, f.id ?? "", f.productivityLossMinutes ?? 0, f.financialImpact ?? 0))
  }

  private func inWindow(_ t: Timestamp) -> Bool {
    (since.map { t >= $0 } ?? true) && (until.map { t < $0 } ?? true)
  }

  public func records(currency: String) -> [JSONObject] {
    var found: [(repeats: Int, record: JSONObject, key: String)] = []
    for (key, chain) in chains where chain.count > 1 {
      let sorted = chain.sorted { ($0.at, $0.id) < ($1.at, $1.id) }
      var repeats: [Int] = []
      for i in 1..<sorted.count
      where inWindow(sorted[i].at) && sorted[i].at.seconds - sorted[i - 1].at.seconds <= window.seconds {
        repeats.append(i)
      }
      guard let firstRepeat = repeats.first else { continue }
      // The chain as it matters here: the incident each first repeat followed, and the repeats.
      var involved = Set(repeats)
      for i in repeats { involved.insert(i - 1) }
      let members = involved.sorted().map { sorted[$0] }
      var o = JSONObject()
      o.add("kind", .string("repeat"))
      o.add("service", .string(causes[key]!.service))
      o.add("root_cause", .string(causes[key]!.cause))
      o.add("incidents", .int(Int64(members.count)))
      o.add("repeats", .int(Int64(repeats.count)))
      o.add("first_opened_at", .string(members.first!.at.rfc3339))
      o.add("last_opened_at", .string(members.last!.at.rfc3339))
      o.add("first_repeat_at", .string(sorted[firstRepeat].at.rfc3339))
      o.add("ids", .array(members.map { .string($0.id) }))
      o.add("productivity_loss_hours", .double(round(members.map(\.minutes).reduce(0, +) / 60, 1)))
      o.add("financial_impact", .double(round(members.map(\.cost).reduce(0, +), 2)))
      o.add("currency", .string(currency))
      found.append((repeats.count, o, key))
    }
    return found.sorted { ($0.repeats, $1.key) > ($1.repeats, $0.key) }.map(\.record)
  }
}
