import Foundation
import Testing

@testable import ITSMCore

@Suite("FMEA scores, scales and the service graph")
struct FMEATests {
  /// The Action Priority table of REFERENCE.md, copied as text: the test reads it the way a
  /// person would, band by band, instead of reusing the code's own table.
  static let referenceTable = """
    | S \\ O | 8-10 | 6-7 | 4-5 | 2-3 | 1 |
    | 9-10 | HHHH | HHHH | HHHM | HMLL | LLLL |
    | 7-8 | HHHH | HHHM | HMMM | MMLL | LLLL |
    | 4-6 | HHMM | MMML | MLLL | LLLL | LLLL |
    | 2-3 | MMLL | LLLL | LLLL | LLLL | LLLL |
    | 1 | LLLL | LLLL | LLLL | LLLL | LLLL |
    """

  static func band(_ text: String) -> ClosedRange<Int> {
    let parts = text.split(separator: "-").map { Int($0.trimmingCharacters(in: .whitespaces))! }
    return parts[0]...(parts.count > 1 ? parts[1] : parts[0])
  }

  /// (S, O, D) -> the letter the reference table gives.
  static func expectedPriority(s: Int, o: Int, d: Int) -> String {
    let rows = referenceTable.split(separator: "\n").map {
      $0.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
    let occurrenceBands = rows[0].dropFirst().map(band)
    let detectionBands = [7...10, 5...6, 2...4, 1...1]
    for row in rows.dropFirst() where band(row[0]).contains(s) {
      let column = occurrenceBands.firstIndex { $0.contains(o) }!
      let cell = Array(row[column + 1])
      return String(cell[detectionBands.firstIndex { $0.contains(d) }!])
    }
    fatalError("severity \(s) is in no band")
  }

  @Test func actionPriorityMatchesTheReferenceTableForAllThousandCombinations() {
    var checked = 0
    var counts: [String: Int] = [:]
    for s in 1...10 {
      for o in 1...10 {
        for d in 1...10 {
          let expected = FMEATests.expectedPriority(s: s, o: o, d: d)
          let actual = ActionPriority.of(severity: s, occurrence: o, detection: d).rawValue
          #expect(actual == expected, "S=\(s) O=\(o) D=\(d)")
          counts[actual, default: 0] += 1
          checked += 1
        }
      }
    }
    #expect(checked == 1000)
    // Spot checks written out by hand from the table.
    #expect(ActionPriority.of(severity: 10, occurrence: 1, detection: 10) == .low)
    #expect(ActionPriority.of(severity: 9, occurrence: 4, detection: 1) == .medium)
    #expect(ActionPriority.of(severity: 7, occurrence: 6, detection: 1) == .medium)
    #expect(ActionPriority.of(severity: 5, occurrence: 8, detection: 5) == .high)
    #expect(ActionPriority.of(severity: 2, occurrence: 8, detection: 7) == .medium)
    #expect(counts.values.reduce(0, +) == 1000)
  }

  @Test func rpnIsTheProductAndHasOneHundredTwentyValues() {
    var values = Set<Int>()
    for s in 1...10 {
      for o in 1...10 { for d in 1...10 { values.insert(FMEAScores(severity: s, occurrence: o, detection: d).rpn) } }
    }
    #expect(values.count == 120)
    #expect(FMEAScores(severity: 10, occurrence: 1, detection: 1).rpn == 10)
    #expect(FMEAScores(severity: 5, occurrence: 5, detection: 5).rpn == 125)
  }

  @Test func occurrenceFollowsTheYearlyRate() {
    #expect(FMEAScales.occurrence(count: 0, windowDays: 365) == 2)
    #expect(FMEAScales.occurrence(count: 1, windowDays: 730) == 3)
    #expect(FMEAScales.occurrence(count: 1, windowDays: 365) == 4)
    #expect(FMEAScales.occurrence(count: 2, windowDays: 365) == 5)
    #expect(FMEAScales.occurrence(count: 4, windowDays: 365) == 6)
    #expect(FMEAScales.occurrence(count: 6, windowDays: 365) == 7)
    #expect(FMEAScales.occurrence(count: 12, windowDays: 365) == 8)
    #expect(FMEAScales.occurrence(count: 24, windowDays: 365) == 9)
    #expect(FMEAScales.occurrence(count: 52, windowDays: 365) == 10)
    // Three in 30 days is 36.5 a year: more than twice a month.
    #expect(FMEAScales.occurrence(count: 3, windowDays: 30) == 9)
  }

  @Test func detectionIsTheRoundedMeanOfHowIncidentsWereFound() {
    #expect(FMEAScales.detection(sources: [:], mttaMedianMinutes: 10) == nil)
    #expect(FMEAScales.detection(sources: [.userReport: 3], mttaMedianMinutes: 5) == 9)
    // (1 + 9) / 2 = 5
    #expect(FMEAScales.detection(sources: [.automatedRemediation: 1, .userReport: 1], mttaMedianMinutes: nil) == 5)
    // (3 + 3 + 6) / 3 = 4, one worse for a median acknowledgement over an hour
    #expect(FMEAScales.detection(sources: [.syntheticCheck: 2, .monitoringAlert: 1], mttaMedianMinutes: 61) == 5)
    #expect(FMEAScales.detection(sources: [.userReport: 1], mttaMedianMinutes: 120) == 10)
  }

  func graph(_ yaml: String) throws -> ServiceGraph {
    try ServiceGraph(policy: PolicyLoader.parse(yaml, source: "p.yaml"))
  }

  @Test func aCycleIsNamedWithItsPath() throws {
    let yaml = """
      services:
        a: {tier: vital, depends_on: [b]}
        b: {tier: critical, depends_on: [c]}
        c: {tier: important, depends_on: [a]}
        d: {tier: important, depends_on: [a]}
      """
    #expect {
      try graph(yaml)
    } throws: { error in
      guard case .configuration(let message) = error as? ITSMError else { return false }
      return message.contains("dependency cycle") && message.contains("p.yaml")
        && ["a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c"].contains { message.contains($0) }
    }
  }

  @Test func redundantAlternativesAreNoSinglePointOfFailure() throws {
    let g = try graph(
      """
      services:
        web: {tier: vital, depends_on: [api]}
        api: {tier: critical, depends_on: ["db-a|db-b", dns]}
        db-a: {tier: important, depends_on: [san]}
        db-b: {tier: important, depends_on: [san]}
        san: {tier: important}
        dns: {tier: important}
        wiki: {tier: deferrable, depends_on: [dns]}
        lonely: {tier: deferrable}
      """)
    let found = g.singlePointsOfFailure()
    let names = found.map { g.names[$0.component] }
    // db-a or db-b alone: api has the other. san takes both: a single point of failure.
    #expect(Set(names) == ["api", "dns", "san"])
    let san = try #require(found.first { g.names[$0.component] == "san" })
    #expect(Set(san.blastRadius.map { g.names[$0] }) == ["db-a", "db-b", "api", "web"])
    #expect(Set(san.cuts.map { g.names[$0] }) == ["api", "web"])
    #expect(!san.singleDependency)
    let dns = try #require(found.first { g.names[$0.component] == "dns" })
    #expect(dns.singleDependency)
    #expect(Set(dns.blastRadius.map { g.names[$0] }) == ["api", "web", "wiki"])
    // Sorted by services cut, then blast radius.
    #expect(names.first == "san" || names.first == "dns")
    #expect(names.last == "api")
    #expect(Set(g.upstream(of: g.index(of: "web")!).map { g.names[$0] }) == ["api", "db-a", "db-b", "san", "dns"])
    #expect(Set(g.downstream(of: g.index(of: "dns")!).map { g.names[$0] }) == ["api", "web", "wiki"])
  }

  @Test func theAlertThresholdsComeFromThePolicy() throws {
    let policy = try PolicyLoader.parse(
      """
      fmea:
        alert: {rpn_over: 200, action_priority: none, notify: "channel:#risk"}
        window: 90d
      """, source: "p.yaml")
    #expect(policy.fmea.alertRPNOver == 200)
    #expect(policy.fmea.alertActionPriority == nil)
    #expect(policy.fmea.window.seconds == 90 * 86_400)
    #expect(policy.fmea.alertTarget == EscalationTarget(.channel, "#risk"))
    let high = FMEAScores(severity: 9, occurrence: 8, detection: 2)
    #expect(high.actionPriority == .high)
    #expect(policy.fmea.alertReasons(high).isEmpty)
    #expect(FMEARules().alertReasons(high) == ["rpn 144 > 120", "action priority H"])
    #expect(throws: ITSMError.self) { try PolicyLoader.parse("fmea: {alert: {action_priority: X}}", source: "p") }
  }

  @Test func theHistoryScanGivesTheSameAnswerSplitBetweenCoresAsOnOneConnection() throws {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("itsm-fmea-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    let database = try AppDatabase.openForWriting(path: folder.appendingPathComponent("t.db").path, environment: [:])
    let day: Int64 = 86_400
    let now = Timestamp(seconds: 400 * day)
    let modes = try database.write { db -> [FailureMode] in
      // 3,000 incidents over 400 days: services a/b/c, causes "Disk full" / "disk full " /
      // "other", every seventh naming FM-2, detection by remainder, some never acknowledged.
      try db.execute(
        sql: """
          WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000)
          INSERT INTO incidents (id, title, service, status, priority, priority_source, opened_at, acknowledged_at,
            resolved_at, users_affected, root_cause, detection, failure_mode, updated_at)
          SELECT 'I' || i, 't', char(97 + i % 3), CASE WHEN i % 11 = 0 THEN 'canceled' ELSE 'resolved' END, 3, 'given',
            i * 11520, CASE WHEN i % 5 = 0 THEN NULL ELSE i * 11520 + (i % 97) * 60 END, i * 11520 + 3600, i % 4,
            CASE i % 3 WHEN 0 THEN 'Disk full' WHEN 1 THEN 'disk full ' ELSE 'other' END,
            CASE i % 4 WHEN 0 THEN 'user_report' WHEN 1 THEN 'monitoring_alert' WHEN 2 THEN 'canary' ELSE NULL END,
            CASE WHEN i % 7 = 0 THEN 'FM-2' END, i * 11520
          FROM n
          """)
      let store = FMEAStore(db)
      var made: [FailureMode] = []
      for (id, service, cause) in [("FM-1", "a", "disk full"), ("FM-2", "b", "x"), ("FM-3", "b", "DISK FULL")] {
        var mode = FailureMode(
          id: id, service: service, component: "c", failureMode: "m", effect: "e", cause: cause,
          scores: FMEAScores(severity: 5, occurrence: 5, detection: 5), at: now)
        try store.register(&mode, reason: "test", context: ChangeContext(actor: "t", source: "test"))
        made.append(mode)
      }
      return made
    }
    let since = Timestamp(seconds: now.seconds - 365 * day)
    let (whole, split) = try database.read { db in
      (
        try FMEAHistory.scan(
          database, db, modes: modes, since: since, until: now, policy: Policy(), environment: [:],
          splitOver: 1_000_000),
        try FMEAHistory.scan(
          database, db, modes: modes, since: since, until: now, policy: Policy(), environment: [:], splitOver: 10)
      )
    }
    #expect(whole.map(\.incidents).allSatisfy { $0 > 100 })
    for (a, b) in zip(whole, split) {
      #expect(a.incidents == b.incidents)
      #expect(a.linkedByID == b.linkedByID)
      #expect(a.linkedByCause == b.linkedByCause)
      #expect(a.detectedBy == b.detectedBy)
      #expect(a.detectionUnknown == b.detectionUnknown)
      #expect(a.ackMinutes.sorted() == b.ackMinutes.sorted())
      #expect(abs(a.lostMinutes - b.lostMinutes) < 1e-6)
      #expect(abs(a.cost - b.cost) < 1e-6)
    }
    // By hand: incident i is in the window when (400 - 365) * 86400 <= i * 11520 < 400 * 86400,
    // 263 <= i < 3000; canceled when i % 11 == 0. FM-2 gets those with i % 7 == 0 (they name it) and nothing
    // by cause; FM-1 (service a: i % 3 == 0... char(97 + i % 3) == "a" when i % 3 == 0) gets
    // causes "Disk full" (i % 3 == 0) unless the incident names FM-2.
    var fm1 = 0
    var fm2 = 0
    var fm3 = 0
    for i in 263..<3000 where i % 11 != 0 {
      if i % 7 == 0 {
        fm2 += 1
      } else if i % 3 == 0 {
        fm1 += 1
      } else if i % 3 == 1 {
        fm3 += 1  // service b, cause "disk full " -> "disk full", FM-3's "DISK FULL"
      }
    }
    #expect(whole.map(\.incidents) == [fm1, fm2, fm3])
    // FM-2 is named by every seventh incident; none of service b has cause "x".
    #expect(whole[1].linkedByCause == 0)
    #expect(whole[1].linkedByID == whole[1].incidents)
  }
}
