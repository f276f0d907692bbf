import Testing

@testable import ITSMCore

@Suite("metrics: percentiles, weeks, repeats")
struct MetricsTests {
  @Test func percentilesInterpolateBetweenClosestRanks() {
    #expect(Summary.percentile([10], 0.9) == 10)
    #expect(Summary.percentile([1, 2, 3, 4], 0.5) == 2.5)
    #expect(Summary.percentile([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.9) == 90)
    let empty = Summary([])
    #expect(empty.mean == nil && empty.p50 == nil && empty.p90 == nil)
  }

  @Test(arguments: [1, 2, 3, 10, 11, 1000, 4097])
  func selectionGivesWhatSortingGives(count: Int) {
    // Few distinct values (many ties) and many, in an order a sort would have to undo.
    var state: UInt64 = UInt64(count) &* 0x9E37_79B9_7F4A_7C15
    func next() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return Double(state >> 40)
    }
    for distinct in [3.0, 1e9] {
      let values = (0..<count).map { _ in next().truncatingRemainder(dividingBy: distinct) / 4 }
      let sorted = values.sorted()
      let summary = Summary(values)
      #expect(summary.p50 == .double(round(Summary.percentile(sorted, 0.5), 1)))
      #expect(summary.p90 == .double(round(Summary.percentile(sorted, 0.9), 1)))
    }
  }

  @Test func mergedPartsGiveWhatOneCalculatorGives() {
    let causes = ["Disk full", "disk full ", "DNS", nil, "Ünïcode cause"]
    let all = (0..<200).map { i -> IncidentFacts in
      var f = facts("2026-10-01T00:00:00Z", cause: causes[i % causes.count])
      f.openedAt = Timestamp(seconds: f.openedAt.seconds + Int64(i * 7_919 % 3_000) * 3_600)
      f.priority = Priority(rawValue: 1 + i % 4)!
      f.tier = i % 3 == 0 ? .l1 : nil
      f.acknowledgedAt = i % 5 == 0 ? nil : Timestamp(seconds: f.openedAt.seconds + Int64(i * 37 % 600))
      f.firstResolvedAt = Timestamp(seconds: f.openedAt.seconds + Int64(i * 113 % 9_000))
      return f
    }
    let since = TimestampParser.parseAbsolute("2026-10-15")
    func calculator() -> MetricsCalculator {
      MetricsCalculator(since: since, until: nil, dimensions: [.priority, .tier], variant: .resolve)
    }
    var one = calculator()
    all.forEach { one.add($0) }
    var first = calculator()
    var second = calculator()
    for (i, f) in all.enumerated() {
      if i % 3 == 0 { first.add(f) } else { second.add(f) }
    }
    first.merge(second)
    #expect(first.records() == one.records())
    #expect(one.records().count > 4)
  }

  @Test(arguments: [
    ("2026-11-02", "2026-W45"), ("2026-12-31", "2026-W53"), ("2027-01-01", "2026-W53"),
    ("2027-01-04", "2027-W01"), ("2024-12-30", "2025-W01"), ("2021-01-03", "2020-W53"),
  ])
  func isoWeeks(date: String, week: String) {
    #expect(MetricDimension.isoWeek(TimestampParser.parseAbsolute(date)!) == week)
  }

  func facts(_ opened: String, cause: String?) -> IncidentFacts {
    var f = IncidentFacts(priority: .p3, service: "mail", openedAt: TimestampParser.parseAbsolute(opened)!)
    f.causeKey = cause.flatMap(IncidentFacts.causeKey)
    return f
  }

  @Test func repeatsCountWithinThirtyDaysOnly() {
    var calculator = MetricsCalculator(since: nil, until: nil, dimensions: [], variant: .resolve)
    calculator.add(facts("2026-10-01T00:00:00Z", cause: "Disk full"))
    calculator.add(facts("2026-10-31T00:00:00Z", cause: " disk full"))  // exactly 30 days later: a repeat
    calculator.add(facts("2026-12-01T00:00:00Z", cause: "disk full"))  // 31 days after that: not
    calculator.add(facts("2026-12-02T00:00:00Z", cause: nil))
    let record = calculator.records()[0]
    #expect(record["incidents"] == .int(4))
    #expect(record["repeat_rate"] == .double(0.25))
  }

  @Test func incidentsBeforeTheWindowOnlyMakeRepeats() {
    let since = TimestampParser.parseAbsolute("2026-10-15")!
    var calculator = MetricsCalculator(since: since, until: nil, dimensions: [.priority], variant: .resolve)
    calculator.add(facts("2026-10-01T00:00:00Z", cause: "quota"))
    calculator.add(facts("2026-10-20T00:00:00Z", cause: "quota"))
    let records = calculator.records()
    #expect(records.count == 1)
    #expect(records[0]["incidents"] == .int(1))
    #expect(records[0]["repeat_rate"] == .double(1.0))
    #expect(records[0]["mtta_mean_min"] == nil)
    #expect(records[0]["reopen_rate"] == nil)
  }

  @Test func reopenAndShiftLeftCountIncidentsResolvedInTheWindow() {
    let october = TimestampParser.parseAbsolute("2026-10-01")!
    var calculator = MetricsCalculator(
      since: october, until: TimestampParser.parseAbsolute("2026-11-01"), dimensions: [.month], variant: .resolve)
    var old = facts("2026-09-20T00:00:00Z", cause: nil)  // opened in September, resolved in October
    old.firstResolvedAt = TimestampParser.parseAbsolute("2026-10-02T00:00:00Z")
    old.reopenCount = 1
    old.tier = .l1
    var late = facts("2026-10-20T00:00:00Z", cause: nil)  // opened in October, resolved in November
    late.firstResolvedAt = TimestampParser.parseAbsolute("2026-11-02T00:00:00Z")
    calculator.add(old)
    calculator.add(late)
    let records = calculator.records()
    #expect(records.count == 1)
    #expect(records[0]["incidents"] == .int(1))  // only the one opened in October
    #expect(records[0]["resolved"] == .int(1))  // only the one resolved in October
    #expect(records[0]["reopen_rate"] == .double(1.0))
    #expect(records[0]["shift_left_rate"] == .double(1.0))
    #expect(records[0]["mttr_mean_min"] == .double(18_720))  // late: 13 days
  }

  @Test func repeatsAreOfOneServiceAndCause() {
    var calculator = MetricsCalculator(since: nil, until: nil, dimensions: [], variant: .resolve)
    var other = facts("2026-10-02T00:00:00Z", cause: "disk full")
    other.service = "web"
    calculator.add(facts("2026-10-01T00:00:00Z", cause: "disk full"))
    calculator.add(other)  // the same cause at another service: not a repeat
    calculator.add(facts("2026-10-03T00:00:00Z", cause: "dns"))  // another cause at the same service: not either
    calculator.add(facts("2026-10-04T00:00:00Z", cause: "DISK FULL"))  // a repeat of the first
    #expect(calculator.records()[0]["repeat_rate"] == .double(0.25))
  }

  /// The openings of each cause and service are found in order of time whether they come in
  /// it (each pair's run is then read as it is) or not (a run is sorted), and whether there are
  /// few pairs (one counting pass by pair) or many (a pass by service, then one by cause; the
  /// services counted are more than those used).
  @Test(arguments: [false, true], [5, 1 << 15])
  func repeatsOfOpeningsInTimeOrderOrNot(inTimeOrder: Bool, services: Int) {
    var openings: [CauseOpening] = []
    for i in 0..<5_000 {
      // Every time differs: 7,919 is prime to 5,000.
      let opened = Int64((i * 7_919) % 5_000) * 3_600 + Int64(i % 3)
      openings.append(
        CauseOpening(cause: Int32(i % 37), service: Int32(i % 5), group: Int32(i % 4) - 1, opened: opened))
    }
    if inTimeOrder { openings.sort { $0.opened < $1.opened } }
    // By hand: each pair's openings sorted by time, each within 10 days of the one before.
    var byPair: [Int32: [CauseOpening]] = [:]
    for o in openings { byPair[o.cause * 100 + o.service, default: []].append(o) }
    var expected = [0, 0, 0]
    for run in byPair.values {
      let sorted = run.sorted { $0.opened < $1.opened }
      for i in sorted.indices.dropFirst()
      where sorted[i].group >= 0 && sorted[i].opened - sorted[i - 1].opened <= 864_000 {
        expected[Int(sorted[i].group)] += 1
      }
    }
    #expect(expected.allSatisfy { $0 > 50 })
    #expect(
      CauseOpening.repeats(in: openings, causes: 37, services: services, groups: 3, within: 864_000) == expected)
  }

  @Test func manyCausesAtManyServicesMergeAsOne() {
    // More distinct causes and services than the tables start with, split unevenly.
    let all = (0..<6_000).map { i -> IncidentFacts in
      var f = facts("2026-01-01T00:00:00Z", cause: i % 11 == 0 ? nil : " Cause \(i % 700) ")
      f.service = "service-\(i % 3)"
      f.openedAt = Timestamp(seconds: f.openedAt.seconds + Int64((i * i * 31 + i * 7) % 9_000) * 3_600)
      f.priority = Priority(rawValue: 1 + i % 5)!
      return f
    }
    func calculator() -> MetricsCalculator {
      MetricsCalculator(
        since: TimestampParser.parseAbsolute("2026-03-01"), until: nil, dimensions: [.priority], variant: .resolve)
    }
    var one = calculator()
    all.forEach { one.add($0) }
    var parts = [calculator(), calculator(), calculator()]
    for (i, f) in all.enumerated() { parts[i % 7 == 0 ? 0 : i % 2 + 1].add(f) }
    var merged = parts[2]
    merged.merge(parts[0])
    merged.merge(parts[1])
    #expect(merged.records() == one.records())
    // Worked out by hand: sorted openings per service and cause, each within 30 days of the one before.
    var byKey: [String: [Timestamp]] = [:]
    for f in all { if let cause = f.causeKey { byKey[f.service + "|" + cause, default: []].append(f.openedAt) } }
    let since = TimestampParser.parseAbsolute("2026-03-01")!
    var repeats = 0
    for times in byKey.values {
      let sorted = times.sorted()
      for i in sorted.indices.dropFirst()
      where sorted[i] >= since && sorted[i].seconds - sorted[i - 1].seconds <= 30 * 86_400 {
        repeats += 1
      }
    }
    let counted = one.records().reduce(0.0) { total, record in
      guard case .double(let rate)? = record["repeat_rate"], case .int(let n)? = record["incidents"] else {
        return total
      }
      return total + rate * Double(n)
    }
    #expect(repeats > 100)
    #expect(abs(counted - Double(repeats)) < 1)
  }

  @Test func causeKeyCacheGivesWhatCauseKeyGives() {
    let cache = CauseKeyCache()
    let texts = (0..<3_000).map { i in
      ["  Disk Full #\(i)", "dns \(i % 50)", "Ünïcode \(i % 7)", "   ", "", "X"][i % 6]
    }
    for _ in 0..<2 {
      for text in texts {
        var text = text
        let got = text.withUTF8 { cache.key($0) }
        #expect(got?.key == IncidentFacts.causeKey(text))
        #expect(got?.origin.hash == IncidentFacts.causeKey(text).map(StableHash.fnv1a))
      }
    }
  }

  @Test(arguments: [1 << 16, 5])
  func causesNumberedByTwoCachesCountAsLookedUp(limit: Int) {
    // A calculator numbers causes by the entries of the first cache that feeds it, and looks
    // up the others' and those past a full cache's limit: all give what facts without a cache give.
    let (first, second) = (CauseKeyCache(limit: limit), CauseKeyCache(limit: limit))
    var plain = MetricsCalculator(since: nil, until: nil, dimensions: [], variant: .resolve)
    var cached = plain
    for i in 0..<3_000 {
      var f = facts("2026-01-01T00:00:00Z", cause: nil)
      f.openedAt = Timestamp(seconds: f.openedAt.seconds + Int64((i * i * 31 + i * 7) % 9_000) * 3_600)
      var text = ["Disk full #\(i % 40)", " disk FULL #\(i % 40)", "DNS \(i % 9)"][i % 3]
      f.causeKey = IncidentFacts.causeKey(text)
      plain.add(f)
      if let (key, origin) = text.withUTF8({ (i % 5 == 0 ? second : first).key($0) }) {
        f.causeKey = key
        f.causeOrigin = origin
      }
      cached.add(f)
    }
    #expect(cached.records() == plain.records())
    #expect(plain.records()[0]["repeat_rate"] != nil)
  }

  @Test func noIncidentsNoRecords() {
    #expect(MetricsCalculator(since: nil, until: nil, dimensions: [.service], variant: .resolve).records().isEmpty)
  }
}

@Suite("report periods")
struct ReportPeriodTests {
  @Test func quartersAndMonthsAndTheirPredecessors() throws {
    let q = try #require(ReportPeriod(parsing: "2026Q1"))
    #expect(q.start == TimestampParser.parseAbsolute("2026-01-01"))
    #expect(q.end == TimestampParser.parseAbsolute("2026-04-01"))
    #expect(q.previous.description == "2025Q4")
    #expect(q.previous.start == TimestampParser.parseAbsolute("2025-10-01"))
    let m = try #require(ReportPeriod(parsing: "2026-12"))
    #expect(m.end == TimestampParser.parseAbsolute("2027-01-01"))
    #expect(ReportPeriod(parsing: "2026-01")?.previous.description == "2025-12")
    #expect(ReportPeriod.quarter(of: TimestampParser.parseAbsolute("2026-11-25T10:00:00Z")!).description == "2026Q4")
    #expect(ReportPeriod(parsing: "2026Q0") == nil)
    #expect(ReportPeriod(parsing: "2026-13") == nil)
  }
}
