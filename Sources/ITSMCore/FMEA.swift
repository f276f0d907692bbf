import Foundation

/// How urgently a failure mode needs action (AIAG-VDA 2019): H must act, M should act, L may act.
public enum ActionPriority: String, CaseIterable, Sendable, Comparable {
  case high = "H"
  case medium = "M"
  case low = "L"

  var rank: Int {
    switch self {
    case .high: return 3
    case .medium: return 2
    case .low: return 1
    }
  }

  public static func < (lhs: ActionPriority, rhs: ActionPriority) -> Bool { lhs.rank < rhs.rank }

  /// The Action Priority table of REFERENCE.md: rows are severity bands (9-10, 7-8, 4-6, 2-3,
  /// 1), columns occurrence bands (8-10, 6-7, 4-5, 2-3, 1), and each cell lists the priority for
  /// the detection bands 7-10, 5-6, 2-4 and 1.
  static let table: [[String]] = [
    ["HHHH", "HHHH", "HHHM", "HMLL", "LLLL"],
    ["HHHH", "HHHM", "HMMM", "MMLL", "LLLL"],
    ["HHMM", "MMML", "MLLL", "LLLL", "LLLL"],
    ["MMLL", "LLLL", "LLLL", "LLLL", "LLLL"],
    ["LLLL", "LLLL", "LLLL", "LLLL", "LLLL"],
  ]

  /// The Action Priority of a severity, occurrence and detection, each 1...10.
  public static func of(severity s: Int, occurrence o: Int, detection d: Int) -> ActionPriority {
    let row = s >= 9 ? 0 : s >= 7 ? 1 : s >= 4 ? 2 : s >= 2 ? 3 : 4
    let column = o >= 8 ? 0 : o >= 6 ? 1 : o >= 4 ? 2 : o >= 2 ? 3 : 4
    let band = d >= 7 ? 0 : d >= 5 ? 1 : d >= 2 ? 2 : 3
    let cell = Array(table[row][column].utf8)
    return ActionPriority(rawValue: String(UnicodeScalar(cell[band])))!
  }
}

/// Severity, occurrence and detection of a failure mode, each 1 (best) to 10 (worst).
public struct FMEAScores: Equatable, Sendable {
  public static let range = 1...10

  public var severity: Int
  public var occurrence: Int
  public var detection: Int

  public init(severity: Int, occurrence: Int, detection: Int) {
    self.severity = severity
    self.occurrence = occurrence
    self.detection = detection
  }

  /// Risk Priority Number: S x O x D, 1...1000.
  public var rpn: Int { severity * occurrence * detection }

  public var actionPriority: ActionPriority {
    ActionPriority.of(severity: severity, occurrence: occurrence, detection: detection)
  }

  /// The review order: Action Priority first (it ranks (10,1,1) above (5,5,5), which RPN does
  /// not), then RPN.
  public static func higherRisk(_ a: FMEAScores, _ b: FMEAScores) -> Bool? {
    if a.actionPriority != b.actionPriority { return a.actionPriority > b.actionPriority }
    if a.rpn != b.rpn { return a.rpn > b.rpn }
    return nil
  }

  /// The scores as fields of a record: severity, occurrence, detection, rpn, action_priority.
  public var fields: [JSONField] {
    [
      JSONField("severity", .int(Int64(severity))), JSONField("occurrence", .int(Int64(occurrence))),
      JSONField("detection", .int(Int64(detection))), JSONField("rpn", .int(Int64(rpn))),
      JSONField("action_priority", .string(actionPriority.rawValue)),
    ]
  }
}

/// Where a failure mode stands in problem management.
public enum FailureModeStatus: String, CaseIterable, Sendable {
  case open, mitigating, accepted, closed

  /// Accepted and closed risks raise no alerts and need no derivation.
  public var isActive: Bool { self == .open || self == .mitigating }
}

/// A recommended action against a failure mode.
public struct RecommendedAction: Equatable, Sendable {
  /// 1, 2, 3... in the order they were added to the mode.
  public var number: Int
  public var text: String
  public var owner: String?
  public var due: Timestamp?
  public var doneAt: Timestamp?

  public init(number: Int, text: String, owner: String?, due: Timestamp?, doneAt: Timestamp? = nil) {
    self.number = number
    self.text = text
    self.owner = owner
    self.due = due
    self.doneAt = doneAt
  }

  public var object: JSONObject {
    var o = JSONObject()
    o.add("action", .int(Int64(number)))
    o.add("text", .string(text))
    o.add("owner", owner.map { .string($0) })
    o.add("due", due.map { .string($0.rfc3339) })
    o.add("done_at", doneAt.map { .string($0.rfc3339) })
    return o
  }
}

/// A failure mode of the register: what can fail, how it shows, why, and its current scores.
public struct FailureMode: Equatable, Sendable {
  /// The database's row number; nil until stored.
  public var rowID: Int64?
  public var id: String
  public var service: String
  public var component: String
  public var function: String?
  public var failureMode: String
  public var effect: String
  public var cause: String
  public var prevention: String?
  public var detectionControls: String?
  public var scores: FMEAScores
  public var owner: String?
  public var status: FailureModeStatus = .open
  public var actions: [RecommendedAction] = []
  /// Whether an `fmea.alert` is raised and not yet cleared, and how many were ever raised.
  public var alerting = false
  public var alertsRaised = 0
  public var createdAt: Timestamp
  public var updatedAt: Timestamp
  public var extra = JSONObject()

  public init(
    id: String, service: String, component: String, failureMode: String, effect: String, cause: String,
    scores: FMEAScores, at: Timestamp
  ) {
    self.id = id
    self.service = service
    self.component = component
    self.failureMode = failureMode
    self.effect = effect
    self.cause = cause
    self.scores = scores
    self.createdAt = at
    self.updatedAt = at
  }

  /// The fields a person edits: what an import compares to decide whether a record changed.
  var content: JSONObject {
    var o = JSONObject()
    o.add("service", .string(service))
    o.add("component", .string(component))
    o.add("function", function.map { .string($0) })
    o.add("failure_mode", .string(failureMode))
    o.add("effect", .string(effect))
    o.add("cause", .string(cause))
    o.add("prevention", prevention.map { .string($0) })
    o.add("detection_controls", detectionControls.map { .string($0) })
    o.add("owner", owner.map { .string($0) })
    o.add("status", .string(status.rawValue))
    return o
  }

  /// The record of kind `fmea.mode`; `import` reads it back.
  public var record: JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.mode")), JSONField("id", .string(id))])
    for field in content.fields where field.key != "owner" && field.key != "status" { o.fields.append(field) }
    o.fields.append(contentsOf: scores.fields)
    o.add("owner", owner.map { .string($0) })
    o.add("status", .string(status.rawValue))
    o.add("actions", .array(actions.map { .object($0.object) }))
    o.add("open_actions", .int(Int64(actions.filter { $0.doneAt == nil }.count)))
    o.add("alerting", .bool(alerting))
    o.add("created_at", .string(createdAt.rfc3339))
    o.add("updated_at", .string(updatedAt.rfc3339))
    if !extra.isEmpty { o.add("extra", .object(extra)) }
    return o
  }

  /// The key that ties incidents to this mode when they do not name it: same service, same
  /// root cause (trimmed, case-insensitive).
  public var causeKey: String? { IncidentFacts.causeKey(cause).map { service + "\u{1F}" + $0 } }
}

/// One scoring of a failure mode, as the append-only history keeps it.
public struct FMEAEvaluation: Sendable {
  public var scores: FMEAScores
  public var previous: FMEAScores?
  public var reason: String
  /// What derived scores were based on (counts, MTTA); nil for judgement.
  public var basis: JSONObject?

  public init(scores: FMEAScores, previous: FMEAScores?, reason: String, basis: JSONObject? = nil) {
    self.scores = scores
    self.previous = previous
    self.reason = reason
    self.basis = basis
  }

  /// The data of the `scored` event.
  public var eventData: JSONObject {
    var o = JSONObject(scores.fields)
    if let previous { o.add("previous", .object(JSONObject(previous.fields))) }
    o.add("reason", .string(reason))
    if let basis { o.add("basis", .object(basis)) }
    return o
  }
}

/// The FMEA part of the policy: alert thresholds, the history window and who hears of alerts.
public struct FMEARules: Equatable, Sendable {
  /// An alert when the RPN is above this...
  public var alertRPNOver = 120
  /// ...or the Action Priority is at least this (nil: never by AP).
  public var alertActionPriority: ActionPriority? = .high
  /// How far back `derive` and `risk` look at incidents.
  public var window = DurationValue(seconds: 365 * 86_400)
  /// Who hears of alerts on modes whose owner and service owner are unknown.
  public var alertTarget = EscalationTarget(.team, "problem-management")

  public init() {}

  /// Why scores are over the thresholds; empty when they are not.
  public func alertReasons(_ scores: FMEAScores) -> [String] {
    var reasons: [String] = []
    if scores.rpn > alertRPNOver { reasons.append("rpn \(scores.rpn) > \(alertRPNOver)") }
    if let ap = alertActionPriority, scores.actionPriority >= ap {
      reasons.append("action priority \(scores.actionPriority.rawValue)")
    }
    return reasons
  }

  /// The thresholds as a record field.
  var thresholds: JSONObject {
    JSONObject([
      JSONField("rpn_over", .int(Int64(alertRPNOver))),
      JSONField("action_priority", .string(alertActionPriority?.rawValue ?? "none")),
    ])
  }
}

/// Occurrence and Detection proposed from what incidents show (REFERENCE.md).
public enum FMEAScales {
  /// Occurrence from how often the mode happened: at least weekly 10, twice a month 9,
  /// monthly 8, every other month 7, quarterly 6, twice a year 5, yearly 4, seen but rarer than
  /// yearly 3, never seen 2. The count is scaled to a year from the window.
  public static func occurrence(count: Int, windowDays: Double) -> Int {
    guard count > 0 else { return 2 }
    let perYear = Double(count) * 365 / max(windowDays, 1)
    let steps: [(Double, Int)] = [(52, 10), (24, 9), (12, 8), (6, 7), (4, 6), (2, 5), (1, 4)]
    return steps.first { perYear >= $0.0 }?.1 ?? 3
  }

  /// The detection score of one way of finding out: automated remediation 1, pre-deploy gate
  /// 2, synthetic check 3, canary 4, SLO burn alert 5, other monitoring alerts 6, manual check
  /// 7, users reporting it 9.
  public static func detection(of source: DetectionSource) -> Int {
    switch source {
    case .automatedRemediation: return 1
    case .preDeployGate: return 2
    case .syntheticCheck: return 3
    case .canary: return 4
    case .sloBurnAlert: return 5
    case .monitoringAlert: return 6
    case .manualCheck: return 7
    case .userReport: return 9
    }
  }

  /// Detection from how the incidents were found: the mean of their scores, rounded half up,
  /// one worse when the median time to acknowledge exceeded an hour (found, but late); nil
  /// when no incident says how it was found.
  public static func detection(sources: [DetectionSource: Int], mttaMedianMinutes: Double?) -> Int? {
    let known = sources.values.reduce(0, +)
    guard known > 0 else { return nil }
    let total = sources.reduce(0) { $0 + detection(of: $1.key) * $1.value }
    var score = Int((Double(total) / Double(known)).rounded(.toNearestOrAwayFromZero))
    if let mtta = mttaMedianMinutes, mtta > 60 { score += 1 }
    return min(max(score, 1), 10)
  }
}

extension FailureMode {
  /// One row of the classic FMEA worksheet (kind `fmea.worksheet`), for a review meeting.
  public var worksheetRecord: JSONObject {
    var o = JSONObject([JSONField("kind", .string("fmea.worksheet")), JSONField("id", .string(id))])
    o.add("service", .string(service))
    o.add("component", .string(component))
    o.add("function", function.map { .string($0) })
    o.add("failure_mode", .string(failureMode))
    o.add("effect", .string(effect))
    o.add("severity", .int(Int64(scores.severity)))
    o.add("cause", .string(cause))
    o.add("prevention", prevention.map { .string($0) })
    o.add("occurrence", .int(Int64(scores.occurrence)))
    o.add("detection_controls", detectionControls.map { .string($0) })
    o.add("detection", .int(Int64(scores.detection)))
    o.add("rpn", .int(Int64(scores.rpn)))
    o.add("action_priority", .string(scores.actionPriority.rawValue))
    let actionsText = actions.map { action -> String in
      var details = [action.owner, action.due.map { String($0.rfc3339.prefix(10)) }].compactMap { $0 }
      if let done = action.doneAt { details.append("done \(done.rfc3339.prefix(10))") }
      return "\(action.number). \(action.text)" + (details.isEmpty ? "" : " (\(details.joined(separator: ", ")))")
    }
    o.add("recommended_actions", actionsText.isEmpty ? nil : .string(actionsText.joined(separator: "; ")))
    o.add("owner", owner.map { .string($0) })
    o.add("status", .string(status.rawValue))
    return o
  }
}
