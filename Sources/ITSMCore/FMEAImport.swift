import Foundation

/// A failure mode read from a JSON Lines record, before it meets the register.
public struct FailureModeInput: Sendable {
  public var mode: FailureMode
  /// The record named no id: one is derived from service, component and failure mode.
  public var idGiven: Bool
  /// The optional fields the record carried; the others keep their stored values.
  public var given: Set<String>
  /// The service is not in the catalog (allowed by `--allow-unknown-service`).
  public var unknownService: Bool
}

/// Decodes `fmea.mode` records (what `export` prints) for `import`. Pure, so it runs on the
/// reading thread.
public struct FailureModeDecoder: Sendable {
  public let catalog: Set<String>
  public let allowUnknownService: Bool
  public let now: Timestamp

  public init(policy: Policy, allowUnknownService: Bool, now: Timestamp) {
    catalog = Set(policy.services.keys)
    self.allowUnknownService = allowUnknownService
    self.now = now
  }

  static let known: Set<String> = [
    "kind", "id", "service", "component", "function", "failure_mode", "mode", "effect", "cause", "prevention",
    "detection_controls", "severity", "occurrence", "detection", "rpn", "action_priority", "owner", "status",
    "actions", "open_actions", "alerting", "created_at", "updated_at", "extra",
  ]

  public func decode(_ object: JSONObject) throws -> FailureModeInput {
    let f = RecordFields(object)
    if let kind = try f["kind"].string(), kind != "fmea.mode" {
      throw RecordRejection("kind '\(kind)' is not a failure mode (expected fmea.mode)")
    }
    let service = try f["service"].string(required: true)!
    let unknown = !catalog.contains(service)
    if unknown && !allowUnknownService {
      throw RecordRejection(FailureModeDecoder.unknownServiceMessage(service))
    }
    let modeText = try
      (object["mode"] != nil && object["failure_mode"] == nil
      ? f["mode"].string(required: true) : f["failure_mode"].string(required: true))!
    let scores = FMEAScores(
      severity: try FailureModeDecoder.score(f["severity"]), occurrence: try FailureModeDecoder.score(f["occurrence"]),
      detection: try FailureModeDecoder.score(f["detection"]))
    var mode = FailureMode(
      id: try f["id"].string() ?? "", service: service, component: try f["component"].string(required: true)!,
      failureMode: modeText, effect: try f["effect"].string(required: true)!,
      cause: try f["cause"].string(required: true)!, scores: scores, at: try f["created_at"].timestamp() ?? now)
    mode.function = try f["function"].string()
    mode.prevention = try f["prevention"].string()
    mode.detectionControls = try f["detection_controls"].string()
    mode.owner = try f["owner"].string()
    mode.status =
      try f["status"].choice(FailureModeStatus.self, names: FailureModeStatus.allCases.map(\.rawValue)) ?? .open
    if let value = object["actions"], value != .null {
      guard case .array(let items) = value else { throw RecordRejection("'actions' must be a list") }
      mode.actions = try items.enumerated().map { try FailureModeDecoder.action($1, number: $0 + 1) }
    }
    if let value = object["extra"], value != .null {
      guard case .object(let extra) = value else { throw RecordRejection("'extra' must be an object") }
      mode.extra = extra
    }
    for field in object.fields where !FailureModeDecoder.known.contains(field.key) {
      mode.extra.add(field.key, field.value)
    }
    var given = Set<String>()
    for key in FailureModeDecoder.optional where object[key] != nil { given.insert(key) }
    if !mode.extra.isEmpty { given.insert("extra") }
    let idGiven = !mode.id.isEmpty
    if !idGiven { mode.id = FailureModeDecoder.derivedID(mode) }
    return FailureModeInput(mode: mode, idGiven: idGiven, given: given, unknownService: unknown)
  }

  /// Fields that, left out of a record, keep what the register has.
  static let optional = ["function", "prevention", "detection_controls", "owner", "status", "actions"]

  /// One recommended action of a record; its fields are named in errors as `actions[N].field`.
  static func action(_ value: JSONValue, number: Int) throws -> RecommendedAction {
    let at = "actions[\(number - 1)]"
    guard case .object(let o) = value else { throw RecordRejection("\(at): expected an object") }
    let f = RecordFields(o)
    func named<T>(_ read: () throws -> T) throws -> T {
      do { return try read() } catch let error as RecordRejection { throw RecordRejection("\(at): \(error.reason)") }
    }
    return RecommendedAction(
      number: number, text: try named { try f["text"].string(required: true)! },
      owner: try named { try f["owner"].string() },
      due: try named { try f["due"].timestamp() }, doneAt: try named { try f["done_at"].timestamp() })
  }

  /// A score field: a whole number 1...10, required.
  static func score(_ field: FieldValue) throws -> Int {
    guard field.value != nil, field.value != .null else {
      throw RecordRejection("missing required field '\(field.key)'")
    }
    return try field.int(in: 1...10)!
  }

  /// A stable id for a record without one, so that re-importing it finds it again.
  static func derivedID(_ mode: FailureMode) -> String {
    StableHash.id("FM", mode.service + "|" + mode.component + "|" + mode.failureMode)
  }

  public static func unknownServiceMessage(_ service: String) -> String {
    "service '\(service)' is not in the service catalog (add it to the policy, or give --allow-unknown-service)"
  }
}

/// Upserts decoded failure modes by id inside the caller's transaction. An identical record
/// changes nothing; changed scores are a new evaluation, other changes an `updated` event.
public final class FailureModeImporter {
  let store: FMEAStore
  let context: ChangeContext
  let now: Timestamp
  public private(set) var summary = ImportSummary()
  public var onWarning: (String) -> Void = { _ in }

  public init(store: FMEAStore, context: ChangeContext, now: Timestamp) {
    self.store = store
    self.context = context
    self.now = now
  }

  public func apply(_ input: FailureModeInput, line: Int, source: String) throws {
    if input.unknownService {
      onWarning("\(source):\(line): " + FailureModeDecoder.unknownServiceMessage(input.mode.service))
    }
    var incoming = input.mode
    guard let stored = try store.find(id: incoming.id) else {
      incoming.createdAt = min(incoming.createdAt, now)
      incoming.updatedAt = now
      let events = [
        EventDraft(type: "created", at: now, data: incoming.content),
        EventDraft(
          type: "scored", at: now,
          data: FMEAEvaluation(scores: incoming.scores, previous: nil, reason: "import").eventData),
      ]
      try store.insert(&incoming, events: events, context: context)
      summary.created += 1
      return
    }
    // What the record left out keeps its stored value.
    if !input.given.contains("function") { incoming.function = stored.function }
    if !input.given.contains("prevention") { incoming.prevention = stored.prevention }
    if !input.given.contains("detection_controls") { incoming.detectionControls = stored.detectionControls }
    if !input.given.contains("owner") { incoming.owner = stored.owner }
    if !input.given.contains("status") { incoming.status = stored.status }
    if !input.given.contains("actions") { incoming.actions = stored.actions }
    if !input.given.contains("extra") { incoming.extra = stored.extra }
    var changes = stored.content.changes(to: incoming.content)
    if incoming.extra != stored.extra {
      changes.add(
        "extra",
        .object(JSONObject([JSONField("before", .object(stored.extra)), JSONField("after", .object(incoming.extra))])))
    }
    var events: [EventDraft] = []
    if !changes.isEmpty { events.append(EventDraft(type: "updated", at: now, data: changes)) }
    if incoming.scores != stored.scores {
      events.append(
        EventDraft(
          type: "scored", at: now,
          data: FMEAEvaluation(scores: incoming.scores, previous: stored.scores, reason: "import").eventData))
    }
    if incoming.actions != stored.actions {
      events.append(
        EventDraft(
          type: "actions_replaced", at: now,
          data: JSONObject([JSONField("actions", .array(incoming.actions.map { .object($0.object) }))])))
    }
    guard !events.isEmpty else {
      summary.unchanged += 1
      return
    }
    incoming.rowID = stored.rowID
    incoming.createdAt = stored.createdAt
    incoming.alerting = stored.alerting
    incoming.alertsRaised = stored.alertsRaised
    incoming.updatedAt = now
    try store.update(incoming, events: events, context: context)
    summary.updated += 1
  }
}
