import Foundation

/// The monthly or quarterly production health report for senior management: headline KPIs
/// against the previous period, incidents per week by priority, the MTTA/MTTR trend, SLA and
/// OKR attainment, availability of the vital and critical services, where the hours were
/// lost, and what keeps coming back. Rendered as one self-contained HTML file (inline SVG,
/// no external assets) or as Markdown.
public struct HealthReport {
  public let period: ReportPeriod
  public let policy: Policy
  var current: MetricsCalculator
  var previous: MetricsCalculator
  var weekly: MetricsCalculator
  var weekTotals: MetricsCalculator
  var sla: SLACalculator
  var previousSLA: SLACalculator
  var okr: OKRCalculator
  var impact: ImpactCalculator
  var repeats: RepeatFinder
  var slo: SLOCalculator
  /// Sections from the other tools' data (top FMEA risks): a title, column headers and rows.
  public var extraSections: [(title: String, header: [String], rows: [[String]])] = []
  /// Sections whose data no tool keeps in this database (yet): only their absence is reported.
  public var absentSections: [(title: String, note: String)] = []

  /// Figures that depend on the clock (open SLA clocks, ongoing outages) are taken at `now`
  /// when the period is not over yet.
  public init(period: ReportPeriod, policy: Policy, now: Timestamp) {
    self.period = period
    let asOf = min(now, period.end)
    self.policy = policy
    let before = period.previous
    current = MetricsCalculator(since: period.start, until: period.end, dimensions: [], variant: .resolve)
    previous = MetricsCalculator(since: before.start, until: before.end, dimensions: [], variant: .resolve)
    weekly = MetricsCalculator(
      since: period.start, until: period.end, dimensions: [.week, .priority], variant: .resolve)
    weekTotals = MetricsCalculator(since: period.start, until: period.end, dimensions: [.week], variant: .resolve)
    sla = SLACalculator(
      since: period.start, until: period.end, now: asOf, dimensions: [], rules: policy.escalation.sla)
    previousSLA = SLACalculator(
      since: before.start, until: before.end, now: before.end, dimensions: [], rules: policy.escalation.sla)
    okr = OKRCalculator(period: period, keyResults: policy.keyResults)
    impact = ImpactCalculator(since: period.start, until: period.end, dimensions: [.service])
    repeats = RepeatFinder(since: period.start, until: period.end, window: DurationValue(seconds: 30 * 86_400))
    slo = SLOCalculator(policy: policy, now: asOf)
    // Repeats come from `repeats`; the metrics' own repeat rates are not shown.
    current.findsRepeats = false
    previous.findsRepeats = false
    weekly.findsRepeats = false
    weekTotals.findsRepeats = false
  }

  /// Where the facts must start for every figure: the previous period, and the 30 days
  /// before it that repeats look back on.
  public var factsSince: Timestamp { Timestamp(seconds: period.previous.start.seconds - 30 * 86_400) }
  public var sloSince: Timestamp { slo.earliest }

  public mutating func add(_ f: IncidentFacts) {
    current.add(f)
    previous.add(f)
    weekly.add(f)
    weekTotals.add(f)
    sla.add(f)
    previousSLA.add(f)
    okr.add(f)
    impact.add(f)
    repeats.add(f)
  }

  public mutating func add(_ interval: ImpactInterval) { slo.add(interval) }

  // MARK: Figures

  struct KPI {
    var name: String
    var now: Double?
    var before: Double?
    var unit: String
    var lowerIsBetter: Bool
  }

  static func number(_ v: JSONValue?) -> Double? {
    switch v {
    case .int(let n)?: return Double(n)
    case .double(let d)?: return d
    default: return nil
    }
  }

  private static func total(_ records: [JSONObject], _ key: String) -> Double? {
    records.first.flatMap { number($0[key]) }
  }

  private static func attainment(_ records: [JSONObject]) -> Double? {
    var met = 0.0
    var counted = 0.0
    for r in records {
      met += (number(r["resolution_met"]) ?? 0)
      counted += (number(r["resolution_counted"]) ?? 0)
    }
    return counted == 0 ? nil : met / counted
  }

  func kpis() -> [KPI] {
    let a = current.records()
    let b = previous.records()
    return [
      KPI(
        name: "Incidents", now: HealthReport.total(a, "incidents") ?? 0,
        before: HealthReport.total(b, "incidents") ?? 0, unit: "", lowerIsBetter: true),
      KPI(
        name: "MTTA (mean)", now: HealthReport.total(a, "mtta_mean_min"),
        before: HealthReport.total(b, "mtta_mean_min"), unit: "min", lowerIsBetter: true),
      KPI(
        name: "MTTR, resolve (mean)", now: HealthReport.total(a, "mttr_mean_min"),
        before: HealthReport.total(b, "mttr_mean_min"),
        unit: "min", lowerIsBetter: true),
      KPI(
        name: "Resolution SLA met", now: HealthReport.attainment(sla.records()).map { $0 * 100 },
        before: HealthReport.attainment(previousSLA.records()).map { $0 * 100 }, unit: "%", lowerIsBetter: false),
      KPI(
        name: "Lost user-hours", now: HealthReport.total(a, "productivity_loss_hours") ?? 0,
        before: HealthReport.total(b, "productivity_loss_hours") ?? 0, unit: "h", lowerIsBetter: true),
      KPI(
        name: "Cost of lost hours", now: HealthReport.total(a, "financial_impact") ?? 0,
        before: HealthReport.total(b, "financial_impact") ?? 0, unit: policy.currency, lowerIsBetter: true),
    ]
  }

  /// Weeks in order, with counts per priority and the week's MTTA and MTTR.
  func weeks() -> [(week: String, counts: [Priority: Int], mtta: Double?, mttr: Double?)] {
    var rows: [String: [Priority: Int]] = [:]
    for r in weekly.records() {
      guard case .object(let g)? = r["group"], case .string(let w)? = g["week"], case .string(let p)? = g["priority"],
        let priority = Priority(parsing: p)
      else { continue }
      rows[w, default: [:]][priority] = Int(HealthReport.number(r["incidents"]) ?? 0)
    }
    var means: [String: (Double?, Double?)] = [:]
    for r in weekTotals.records() {
      guard case .object(let g)? = r["group"], case .string(let w)? = g["week"] else { continue }
      means[w] = (HealthReport.number(r["mtta_mean_min"]), HealthReport.number(r["mttr_mean_min"]))
    }
    // Every week of the period, quiet ones too, so that the time axis is true.
    var keys: [String] = []
    var t = period.start
    while t < period.end {
      let key = MetricDimension.isoWeek(t)
      if keys.last != key { keys.append(key) }
      t = t + DurationValue(seconds: 86_400)
    }
    return keys.map { w in (w, rows[w] ?? [:], means[w]?.0 ?? nil, means[w]?.1 ?? nil) }
  }
}

extension HealthReport {
  /// The section of the top FMEA risks, in remediation order.
  public mutating func addRisks(_ risks: [FMEARiskEntry], currency: String) {
    let rows = risks.map { r -> [String] in
      [
        r.mode.id, r.mode.service, r.mode.component, r.mode.failureMode, r.mode.scores.actionPriority.rawValue,
        String(r.mode.scores.rpn), String(r.history.incidents), HealthReport.money(r.history.cost, currency),
        r.mode.owner ?? "", r.mode.status.rawValue,
      ]
    }
    extraSections.append(
      (
        "Top FMEA risks",
        [
          "id", "service", "component", "failure mode", "AP", "RPN", "incidents", "cost", "owner",
          "status",
        ],
        rows
      ))
  }

  static func money(_ value: Double, _ currency: String) -> String { "\(Int(value.rounded())) \(currency)" }
}
