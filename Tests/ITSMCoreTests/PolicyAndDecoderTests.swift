import Foundation
import Testing

@testable import ITSMCore

@Suite("policy loading and record decoding")
struct PolicyAndDecoderTests {
  @Test func validPolicy() throws {
    let policy = try PolicyLoader.parse(
      """
      version: 1
      services:
        dns: {tier: vital, owner: network}
        mail: {tier: critical, depends_on: [dns], hourly_cost: 80}
      priority_matrix:
        - [P1, P1, P2]
        - [P2, P3, P4]
        - [P3, P4, P5]
      incidents: {closure: {require_root_cause: false}}
      costs: {hourly_cost: 65}
      """, source: "p.yaml")
    #expect(policy.services["mail"]?.dependsOn == ["dns"])
    #expect(policy.priorityMatrix.priority(impact: 1, urgency: 2) == .p1)
    #expect(policy.closure.requireRootCause == false)
    #expect(policy.hourlyCost(for: "dns") == 65)
  }

  @Test(arguments: [
    ("services:\n  mail:\n    tier: gold\n", "p.yaml:3: services.mail.tier: unknown tier 'gold'"),
    ("servics: {}\n", "p.yaml:1: servics: unknown key"),
    ("services:\n  mail: {depends_on: [dns]}\n", "services.mail.depends_on: 'dns' is not in the service catalog"),
    ("costs:\n  hourly_cost: -5\n", "p.yaml:2: costs.hourly_cost: -5.0 is out of range"),
    ("priority_matrix: [[P1]]\n", "expected 3 rows"),
    ("services: [\n", "invalid YAML"),
  ])
  func invalidPolicyNamesFileLineAndKeyPath(text: String, message: String) {
    do {
      _ = try PolicyLoader.parse(text, source: "p.yaml")
      Issue.record("accepted")
    } catch let error as ITSMError {
      #expect(error.exitCode == 78)
      #expect(error.messages.joined().contains(message), "\(error.messages)")
    } catch {
      Issue.record("\(error)")
    }
  }

  func decode(_ text: String) throws -> Incident {
    guard case .object(let o) = try JSONParser.parse(text) else { throw RecordRejection("not an object") }
    return try IncidentDecoder(policy: Policy(), now: Timestamp(seconds: 1_000_000)).decode(o).incident
  }

  @Test func decoderDerivesStatusPriorityAndId() throws {
    let i = try decode(
      #"{"title":"t","service":"s","impact":1,"urgency":2,"opened_at":"2026-11-01T00:00:00Z","closed_at":"2026-11-02T00:00:00Z","resolved_at":"2026-11-01T05:00:00Z","foo":1}"#
    )
    #expect(i.status == .closed)
    #expect(i.priority == .p2)
    #expect(i.prioritySource == .matrix)
    #expect(i.id.hasPrefix("IMP-"))
    #expect(i.id == (try decode(#"{"title":"t","service":"s","priority":"P4","opened_at":"2026-11-01T00:00:00Z"}"#)).id)
    #expect(i.extra["foo"] == .int(1))
    let manual = try decode(#"{"id":"M","title":"t","service":"s","impact":1,"urgency":2,"priority":"P1"}"#)
    #expect(manual.prioritySource == .manual)
    #expect(manual.matrixPriority == .p2)
  }

  @Test func incidentKeySlotsAreTheirPlaceInOrder() {
    #expect(IncidentKey.allCases.count == IncidentFields.keyCount)
    for (place, key) in IncidentKey.ordered.enumerated() {
      #expect(key.slot == place, "\(key)")
      #expect(IncidentKey.slot(of: key.rawValue) == place)
    }
  }

  @Test(arguments: [
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","type":"x","zz":[1,{"a":null}]}"#,
    // A key given twice (the last wins), and one written with an escape.
    #"{"title":"a","service":"s","priority":"P3","title":"b","opened_at":"2026-11-01T00:00:00Z","ti\u0074le":"c"}"#,
    #"{"title":"t","service":"s","priority":"P9","opened_at":"2026-11-01T00:00:00Z"}"#,
    #"{"title":"t","service":"s","priority":"P1"}"#,
    #"{"title":"t","service":"s","priority":"P1","opened_at":null}"#,
    #"["not", "an", "object"]"#,
    #"  {"title":"t","service":"s","impact":1,"urgency":1,"opened_at":"2026-11-01T00:00:00Z"}  "#,
    // Times: read as times by the parser, or as text when they are not plain RFC 3339.
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","opened_at":"soon"}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"soon","opened_at":"2026-11-01T00:00:00Z"}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","opened_at":null}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","acknowledged_at":"2026-11-01T02:00:00+02:00"}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","resolved_at":"2026-10-01T00:00:00Z"}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","acknowledged_at":5}"#,
    #"{"title":"t","service":"s","priority":"P2","opened_at":"2026-11-01T00:00:00Z","updated_at":"2026-11-31T00:00:00Z"}"#,
  ])
  func decodingFromTextIsDecodingThroughAnObject(line: String) {
    let decoder = IncidentDecoder(policy: Policy(), now: Timestamp(seconds: 1_795_000_000))
    func viaObject() throws -> Incident {
      guard case .object(let object) = try JSONParser.parse(line) else {
        throw RecordRejection("expected a JSON object, got array")
      }
      guard object["opened_at"] != nil else { throw RecordRejection("missing required field 'opened_at'") }
      return try decoder.decode(object).incident
    }
    var text = line
    let direct = text.withUTF8 { bytes in
      Result { try decoder.decode(json: bytes, requiringOpenedAt: true).incident }
    }
    switch (direct, Result { try viaObject() }) {
    case (.success(let a), .success(let b)): #expect(a == b)
    case (.failure(let a as RecordRejection), .failure(let b as RecordRejection)): #expect(a == b)
    case (let a, let b): Issue.record("\(a) against \(b)")
    }
  }

  @Test func decoderRefusesInconsistentStatus() {
    #expect(throws: RecordRejection.self) {
      try decode(#"{"id":"A","title":"t","service":"s","priority":"P2","status":"closed"}"#)
    }
    #expect(throws: RecordRejection.self) {
      try decode(
        #"{"title":"t","service":"s","priority":"P2","status":"new","resolved_at":"2026-11-01T00:00:00Z","opened_at":"2026-10-01"}"#
      )
    }
    #expect(throws: RecordRejection.self) { try decode(#"{"id":"A","title":"t","service":"s","impact":1}"#) }
    #expect(throws: RecordRejection.self) { try decode(#"{"title":"t","service":"s","priority":"P3"}"#) }
  }
}

@Suite("cells of CSV exports")
struct CellTests {
  @Test(arguments: [
    ("", ""), ("  ", ""), ("\t a b \t", "a b"), ("abc", "abc"), (" é ", "é"),
    ("a long cell, longer than fifteen bytes ", "a long cell, longer than fifteen bytes"),
  ])
  func trimmingBlanks(_ cell: String, _ trimmed: String) {
    #expect(cell.trimmingBlanks == trimmed)
    #expect(cell[...].trimmingBlanks == trimmed)
  }

  /// A ServiceNow row decoded beside the next one in the input: only a next row that is sure
  /// to win (same number, a sys_mod_count as high) makes it keep no incident, and the row is
  /// checked in full either way.
  @Test func serviceNowRowsDecodedBesideTheNextOne() throws {
    let header = CSVHeader([
      "number", "short_description", "cmdb_ci", "priority", "opened_at", "sys_mod_count", "u_site",
    ])
    let reader = ServiceNowReader(
      decoder: IncidentDecoder(policy: Policy(), now: Timestamp(seconds: 0)),
      dates: DateReader(pattern: nil, timeZone: TimeZone(identifier: "UTC")!), warnings: ChoiceWarnings())
    let layout = try reader.layout(of: header, source: "t")
    func row(_ number: String, _ modCount: String, title: String = "t", next: ServiceNowRow? = nil) throws
      -> ServiceNowRow
    {
      try reader.row(
        header.row([number, title, "mail", "3 - Moderate", "2026-11-20 09:00:00", modCount, "Lisbon"]), layout,
        next: next)
    }
    let later = try row("INC1", "2")
    #expect(later.decoded?.incident.incident.extra["u_site"] == .string("Lisbon"))
    #expect(try row("INC1", "1", next: later).decoded == nil)
    #expect(try row("INC1", "2", next: later).decoded == nil)
    // A later sys_mod_count, another incident, or no next row: the row keeps its incident whole.
    for kept in [try row("INC1", "3", next: later), try row("INC2", "1", next: later), try row("INC1", "1")] {
      #expect(kept.decoded?.incident.incident.extra["u_site"] == .string("Lisbon"))
    }
    // Superseded or not, a bad row is refused.
    #expect(throws: RecordRejection.self) { try row("INC1", "1", title: "", next: later) }
  }

  @Test(arguments: [
    ("1 - Critical", 1 as Int?, "Critical"), ("3 -  Moderate ", 3, "Moderate"), ("2-High", 2, "High"),
    ("Critical", nil, "Critical"), ("1", 1, "1"), ("12345", nil, "12345"), ("2 High", nil, "2 High"), ("", nil, ""),
    ("4 -", 4, ""),
  ])
  func serviceNowChoices(_ text: String, _ number: Int?, _ label: String) {
    let (n, l) = ServiceNowReader.choice(text)
    #expect(n == number)
    #expect(l == label)
  }

  @Test(arguments: [
    ("2026-01-02 03:04:05", nil as String?, "2026-01-02T03:04:05Z"),
    (" 2026-01-02 03:04:05 ", nil, "2026-01-02T03:04:05Z"),
    ("2026-01-02T03:04:05Z", nil, "2026-01-02T03:04:05Z"),
    ("02-01-2026 03:04", nil, "2026-01-02T03:04:00Z"),
    ("01/02/2026 03:04:05 PM", nil, "2026-01-02T15:04:05Z"),
    ("12/31/2026 12:00:00 AM", nil, "2026-12-31T00:00:00Z"),
    ("2 Jan 2026", "d MMM yyyy", "2026-01-02T00:00:00Z"),
    ("2026-02-30 00:00:00", nil, nil), ("yesterday", nil, nil), ("", nil, nil),
  ])
  func dates(_ text: String, _ pattern: String?, _ expected: String?) {
    let reader = DateReader(pattern: pattern, timeZone: TimeZone(identifier: "UTC")!)
    #expect(reader.read(text)?.rfc3339 == expected)
  }

  @Test func datesInAZone() {
    let reader = DateReader(pattern: nil, timeZone: TimeZone(identifier: "Europe/Berlin")!)
    #expect(reader.read("2026-07-01 12:00:00")?.rfc3339 == "2026-07-01T10:00:00Z")
    #expect(reader.read("2026-01-01 12:00:00")?.rfc3339 == "2026-01-01T11:00:00Z")
  }
}
