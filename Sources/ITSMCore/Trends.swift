import Foundation

/// Counts, MTTA and MTTR per week or month, each with its change against the period before
/// and a sparkline of the counts so far, per group.
public struct TrendBuilder {
  public let period: MetricDimension
  public let dimensions: [MetricDimension]
  public let variant: MTTRVariant
  private var calculator: MetricsCalculator
  private var first: Timestamp?
  private var last: Timestamp?

  /// `period` is `.week` or `.month`.
  public init(
    period: MetricDimension, dimensions: [MetricDimension], since: Timestamp?, until: Timestamp?, variant: MTTRVariant
  ) {
    self.period = period
    self.dimensions = dimensions.filter { $0 != .week && $0 != .month }
    self.variant = variant
    calculator = MetricsCalculator(since: since, until: until, dimensions: [period] + self.dimensions, variant: variant)
    // Trends are about openings: resolutions of earlier incidents must not add groups.
    calculator.countsResolutions = false
  }

  public mutating func add(_ facts: IncidentFacts) {
    calculator.add(facts)
    if calculator.contains(facts.openedAt) {
      first = min(first ?? facts.openedAt, facts.openedAt)
      last = max(last ?? facts.openedAt, facts.openedAt)
    }
  }

  private func key(_ t: Timestamp) -> String {
    period == .week ? MetricDimension.isoWeek(t) : MetricDimension.month(t)
  }

  /// Every period from the first incident's to the last one's, gaps included.
  func periods() -> [String] {
    guard let first, let last else { return [] }
    var keys: [String] = []
    var t = first
    while true {
      let key = key(t)
      if keys.last != key { keys.append(key) }
      if t >= last { break }
      t = min(last, t + DurationValue(seconds: period == .week ? 7 * 86_400 : 27 * 86_400))
    }
    let lastKey = key(last)
    if keys.last != lastKey { keys.append(lastKey) }
    return keys
  }

  static let bars = Array("▁▂▃▄▅▆▇█")

  static func sparkline(_ values: [Int]) -> String {
    guard let top = values.max(), top > 0 else { return String(repeating: bars[0], count: values.count) }
    return String(values.map { bars[min(bars.count - 1, $0 * (bars.count - 1) / top)] })
  }

  /// One `trend` record per group and period, groups in order, periods oldest first.
  public func records() -> [JSONObject] {
    let metrics = calculator.records()
    var byGroup: [String: [String: JSONObject]] = [:]
    var groupOrder: [(String, JSONObject)] = []
    for m in metrics {
      guard case .object(let g)? = m["group"], case .string(let key)? = g[period.rawValue] else { continue }
      var rest = JSONObject()
      for field in g.fields where field.key != period.rawValue { rest.add(field.key, field.value) }
      let id = JSONSerializer.string(rest)
      if byGroup[id] == nil { groupOrder.append((id, rest)) }
      byGroup[id, default: [:]][key] = m
    }
    let keys = periods()
    var out: [JSONObject] = []
    for (id, group) in groupOrder {
      var counts: [Int] = []
      var previous: JSONObject?
      for key in keys {
        let m = byGroup[id]?[key]
        var incidents = 0
        if case .int(let n)? = m?["incidents"] { incidents = Int(n) }
        counts.append(incidents)
        var o = JSONObject()
        o.add("kind", .string("trend"))
        o.add("group", .object(group))
        o.add(period.rawValue, .string(key))
        o.add("incidents", .int(Int64(incidents)))
        o.add("incidents_change", change(.int(Int64(incidents)), previous?["incidents"]))
        o.add("mtta_mean_min", m?["mtta_mean_min"])
        o.add("mtta_change", change(m?["mtta_mean_min"], previous?["mtta_mean_min"]))
        o.add("mttr_variant", .string(variant.rawValue))
        o.add("mttr_mean_min", m?["mttr_mean_min"])
        o.add("mttr_change", change(m?["mttr_mean_min"], previous?["mttr_mean_min"]))
        o.add("sparkline", .string(TrendBuilder.sparkline(Array(counts.suffix(12)))))
        out.append(o)
        previous = m ?? JSONObject([JSONField("incidents", .int(0))])
      }
    }
    return out
  }

  /// (current - previous) / previous, rounded; nil without both or when previous is zero.
  private func change(_ current: JSONValue?, _ previous: JSONValue?) -> JSONValue? {
    func number(_ v: JSONValue?) -> Double? {
      switch v {
      case .int(let n)?: return Double(n)
      case .double(let d)?: return d
      default: return nil
      }
    }
    guard let now = number(current), let before = number(previous),
      before != 0
    else { return nil }
    return .double(round((now - before) / before, 4))
  }
}
