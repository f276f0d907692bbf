import Foundation

/// One key result of the policy's OKRs, measured over a period.
public struct KeyResult: Equatable, Sendable {
  public enum Measure: String, CaseIterable, Sendable {
    /// Incidents first resolved in the period within `within` of opening (of `priority`, if given).
    case resolvedWithin = "resolved_within"
    /// Incidents opened in the period acknowledged within `within`.
    case acknowledgedWithin = "acknowledged_within"
    /// Incidents opened in the period, with a known impact start, opened within `within` of it.
    case openedWithin = "opened_within"
    /// Incidents first resolved in the period at support tier L0 or L1.
    case shiftLeft = "shift_left"
  }

  public var name: String
  public var measure: Measure
  public var priority: Priority?
  public var within: DurationValue?
  /// The fraction to reach (0...1).
  public var target: Double

  public init(name: String, measure: Measure, priority: Priority? = nil, within: DurationValue? = nil, target: Double) {
    self.name = name
    self.measure = measure
    self.priority = priority
    self.within = within
    self.target = target
  }

  /// The AMS governance example of REFERENCE.md.
  public static let defaults: [KeyResult] = [
    KeyResult(
      name: "P1 resolved within 90 min", measure: .resolvedWithin, priority: .p1, within: .minutes(90), target: 1),
    KeyResult(
      name: "P2 resolved within 160 min", measure: .resolvedWithin, priority: .p2, within: .minutes(160), target: 0.95),
    KeyResult(
      name: "P3 resolved within 2 days", measure: .resolvedWithin, priority: .p3, within: .minutes(2880), target: 0.93),
    KeyResult(name: "resolved at L0/L1", measure: .shiftLeft, target: 0.4),
    KeyResult(
      name: "incidents created within 20 min of detection", measure: .openedWithin, within: .minutes(20), target: 0.95),
  ]
}

/// A calendar period: a month (`2026-10`) or a quarter (`2026Q4`), in UTC.
public struct ReportPeriod: Equatable, Sendable, CustomStringConvertible {
  public var start: Timestamp
  public var end: Timestamp
  public var description: String

  /// Parses `2026-10` or `2026Q4`; nil when it is neither.
  public init?(parsing text: String) {
    let t = text.uppercased()
    if t.count == 6, t.dropFirst(4).first == "Q", let year = Int(t.prefix(4)), let q = Int(t.suffix(1)),
      (1...4).contains(q)
    {
      self.init(year: year, firstMonth: (q - 1) * 3 + 1, months: 3, name: "\(year)Q\(q)")
    } else if t.count == 7, t.dropFirst(4).first == "-", let year = Int(t.prefix(4)), let month = Int(t.suffix(2)),
      (1...12).contains(month)
    {
      self.init(year: year, firstMonth: month, months: 1, name: text)
    } else {
      return nil
    }
  }

  init(year: Int, firstMonth: Int, months: Int, name: String) {
    start = Timestamp(seconds: CivilDate.toDays(Int64(year), Int64(firstMonth), 1) * 86_400)
    let next = firstMonth - 1 + months
    end = Timestamp(seconds: CivilDate.toDays(Int64(year + next / 12), Int64(next % 12 + 1), 1) * 86_400)
    description = name
  }

  /// The quarter that holds a time.
  public static func quarter(of time: Timestamp) -> ReportPeriod {
    let (year, month, _) = CivilDate.fromDays(
      time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400)
    let q = Int((month - 1) / 3) + 1
    return ReportPeriod(year: Int(year), firstMonth: (q - 1) * 3 + 1, months: 3, name: "\(year)Q\(q)")
  }

  /// The month that holds a time.
  public static func month(of time: Timestamp) -> ReportPeriod {
    let (year, month, _) = CivilDate.fromDays(
      time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400)
    return ReportPeriod(
      year: Int(year), firstMonth: Int(month), months: 1, name: String(format: "%04d-%02d", Int(year), Int(month)))
  }

  /// The calendar year that holds a time.
  public static func year(of time: Timestamp) -> ReportPeriod {
    let (year, _, _) = CivilDate.fromDays(time.seconds >= 0 ? time.seconds / 86_400 : (time.seconds - 86_399) / 86_400)
    return ReportPeriod(year: Int(year), firstMonth: 1, months: 12, name: String(year))
  }

  /// The period of the same length just before this one.
  public var previous: ReportPeriod {
    let (year, month, _) = CivilDate.fromDays(start.seconds / 86_400)
    let months = description.contains("Q") ? 3 : 1
    var m = Int(month) - months
    var y = Int(year)
    if m < 1 {
      m += 12
      y -= 1
    }
    let name = months == 3 ? "\(y)Q\((m - 1) / 3 + 1)" : String(format: "%04d-%02d", y, m)
    return ReportPeriod(year: y, firstMonth: m, months: months, name: name)
  }

  public func contains(_ t: Timestamp) -> Bool { t >= start && t < end }
}

/// Measures key results over a period from incident facts.
public struct OKRCalculator {
  public let period: ReportPeriod
  public let keyResults: [KeyResult]
  private var counts: [(hits: Int, counted: Int)]

  public init(period: ReportPeriod, keyResults: [KeyResult]) {
    self.period = period
    self.keyResults = keyResults
    counts = Array(repeating: (0, 0), count: keyResults.count)
  }

  public mutating func add(_ f: IncidentFacts) {
    for (index, kr) in keyResults.enumerated() {
      if let priority = kr.priority, priority != f.priority { continue }
      switch kr.measure {
      case .resolvedWithin:
        guard let resolved = f.firstResolvedAt, period.contains(resolved) else { continue }
        counts[index].counted += 1
        if resolved.seconds - f.openedAt.seconds <= (kr.within?.seconds ?? 0) { counts[index].hits += 1 }
      case .acknowledgedWithin:
        guard period.contains(f.openedAt) else { continue }
        counts[index].counted += 1
        if let ack = f.acknowledgedAt, ack.seconds - f.openedAt.seconds <= (kr.within?.seconds ?? 0) {
          counts[index].hits += 1
        }
      case .openedWithin:
        guard period.contains(f.openedAt), let started = f.startedAt else { continue }
        counts[index].counted += 1
        if f.openedAt.seconds - started.seconds <= (kr.within?.seconds ?? 0) { counts[index].hits += 1 }
      case .shiftLeft:
        guard let resolved = f.firstResolvedAt, period.contains(resolved) else { continue }
        counts[index].counted += 1
        if f.tier == .l0 || f.tier == .l1 { counts[index].hits += 1 }
      }
    }
  }

  /// One `okr` record per key result. `met` is absent when nothing counted.
  public func records() -> [JSONObject] {
    keyResults.enumerated().map { index, kr in
      let (hits, counted) = counts[index]
      var o = JSONObject()
      o.add("kind", .string("okr"))
      o.add("period", .string(period.description))
      o.add("name", .string(kr.name))
      o.add("measure", .string(kr.measure.rawValue))
      o.add("priority", kr.priority.map { .string($0.description) })
      o.add("within_min", kr.within.map { .double(Double($0.seconds) / 60) })
      o.add("counted", .int(Int64(counted)))
      o.add("hits", .int(Int64(hits)))
      let actual = counted == 0 ? nil : round(Double(hits) / Double(counted), 4)
      o.add("actual", actual.map { .double($0) })
      o.add("target", .double(kr.target))
      o.add("met", met(index).map { .bool($0) })
      return o
    }
  }

  /// Judged on the counts, not on the rounded fraction: 3799 of 3999 is not 95 %. Nil when
  /// nothing counted.
  private func met(_ index: Int) -> Bool? {
    let (hits, counted) = counts[index]
    return counted == 0 ? nil : Double(hits) >= keyResults[index].target * Double(counted) - 1e-9
  }

  /// Key results with data that fall short of their target.
  public func missed() -> Int {
    keyResults.indices.filter { met($0) == false }.count
  }
}
