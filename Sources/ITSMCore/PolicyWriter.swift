import Foundation
import Yams

/// Writes a policy back as YAML that `PolicyLoader` reads: the effective policy with every
/// default filled in (`itsm-escalate policy show`), or just the part an incident is pinned to.
public enum PolicyWriter {
  /// The whole effective policy.
  public static func yaml(_ policy: Policy) throws -> String {
    var root: [(Node, Node)] = [("version", "1")]
    var services: [(Node, Node)] = []
    for service in policy.services.values.sorted(by: { $0.name < $1.name }) {
      var entry: [(Node, Node)] = [("tier", Node(service.tier.rawValue))]
      if let owner = service.owner { entry.append(("owner", Node(owner))) }
      if !service.dependsOn.isEmpty { entry.append(("depends_on", list(service.dependsOn))) }
      if let cost = service.hourlyCost { entry.append(("hourly_cost", number(cost))) }
      if let slo = service.slo { entry.append(("slo", number(slo))) }
      services.append((Node(service.name), map(entry)))
    }
    root.append(("services", map(services)))
    root.append(("priority_matrix", Node(policy.priorityMatrix.cells.map { list($0.map(\.description)) })))
    root.append(
      (
        "incidents",
        map([
          (
            "closure",
            map([
              ("require_root_cause", bool(policy.closure.requireRootCause)),
              ("require_resolution", bool(policy.closure.requireResolution)),
            ])
          )
        ])
      ))
    let severities = policy.alerts.severityPriority.sorted { $0.key < $1.key }
    root.append(
      (
        "alerts",
        map([
          ("resolve_incidents", bool(policy.alerts.resolveIncidents)),
          ("severity_priority", map(severities.map { (Node($0.key), Node($0.value.description)) })),
          ("service_labels", list(policy.alerts.serviceLabels)),
        ])
      ))
    root.append(
      ("costs", map([("currency", Node(policy.currency)), ("hourly_cost", number(policy.hourlyCost))])))
    root += escalationSections(policy.escalation)
    let keyResults = policy.keyResults.map { kr -> Node in
      var entry: [(Node, Node)] = [("name", Node(kr.name)), ("measure", Node(kr.measure.rawValue))]
      if let priority = kr.priority { entry.append(("priority", Node(priority.description))) }
      if let within = kr.within { entry.append(("within", Node(within.compactText))) }
      entry.append(("target", number(kr.target)))
      return map(entry)
    }
    root.append(("okr", map([("key_results", Node(keyResults))])))
    root.append(
      (
        "slo",
        map([
          ("window", Node(policy.slo.window.compactText)),
          ("weights", map(OutageLevel.allCases.map { (Node($0.rawValue), number(policy.slo.weights[$0] ?? 0)) })),
          ("targets", map(ServiceTier.allCases.map { (Node($0.rawValue), number(policy.slo.tierTargets[$0] ?? 0)) })),
        ])
      ))
    let licenses = policy.licenses
    var apps: [(Node, Node)] = []
    for (app, rules) in licenses.apps.sorted(by: { $0.key < $1.key }) {
      var entry: [(Node, Node)] = []
      if let days = rules.inactiveDays { entry.append(("inactive_days", Node(String(days)))) }
      if !rules.downgrade.isEmpty {
        entry.append(
          ("downgrade", map(rules.downgrade.sorted { $0.key < $1.key }.map { (Node($0.key), Node($0.value)) })))
      }
      apps.append((Node(app), map(entry)))
    }
    root.append(
      (
        "licenses",
        map([
          ("inactive_days", Node(String(licenses.inactiveDays))),
          ("new_hire_days", Node(String(licenses.newHireDays))),
          ("grace_period", Node(licenses.gracePeriod.compactText)),
          ("notify", Node(licenses.notify.description)),
          ("apps", map(apps)),
          (
            "exempt",
            map([
              ("accounts", list(licenses.exemptAccounts.sorted())),
              ("departments", list(licenses.exemptDepartments.sorted())),
              ("groups", list(licenses.exemptGroups.sorted())),
            ])
          ),
        ])
      ))
    let fmea = policy.fmea
    root.append(
      (
        "fmea",
        map([
          (
            "alert",
            map([
              ("rpn_over", Node(String(fmea.alertRPNOver))),
              ("action_priority", Node(fmea.alertActionPriority?.rawValue ?? "none")),
              ("notify", Node(fmea.alertTarget.description)),
            ])
          ),
          ("window", Node(fmea.window.compactText)),
        ])
      ))
    return try Yams.serialize(node: map(root), width: -1)
  }

  /// The `escalation` and `sla` sections alone, as a policy file of their own: what is pinned
  /// to an incident, and what its version is the hash of.
  public static func escalationYAML(_ rules: EscalationRules) throws -> String {
    try Yams.serialize(node: map([("version", "1")] + escalationSections(rules)), width: -1)
  }

  static func escalationSections(_ rules: EscalationRules) -> [(Node, Node)] {
    let policies = rules.policies.map { policy -> (Node, Node) in
      var entry: [(Node, Node)] = []
      if let timeout = policy.ackTimeout { entry.append(("ack_timeout", Node(timeout.compactText))) }
      entry.append(("renotify_limit", Node(String(policy.renotifyLimit))))
      entry.append(
        (
          "levels",
          Node(
            policy.levels.map { level in
              map([
                ("targets", list(level.targets.map(\.description))),
                ("delay", Node(level.delay.compactText)),
                ("repeat", Node(String(level.repeats))),
                ("until", Node(level.until.rawValue)),
              ])
            })
        ))
      return (Node(policy.name), map(entry))
    }
    let routes = rules.routes.map { route -> Node in
      var entry: [(Node, Node)] = []
      if !route.priorities.isEmpty { entry.append(("priority", list(route.priorities.map(\.description)))) }
      if !route.services.isEmpty { entry.append(("service", list(route.services))) }
      if !route.tiers.isEmpty { entry.append(("tier", list(route.tiers.map(\.rawValue)))) }
      if !route.regions.isEmpty { entry.append(("region", list(route.regions))) }
      if let calendar = route.calendar { entry.append(("calendar", Node(calendar))) }
      entry.append(("policy", Node(route.policy)))
      return map(entry)
    }
    let calendars = rules.calendars.map { calendar -> (Node, Node) in
      var entry: [(Node, Node)] = [
        ("timezone", Node(calendar.zoneName)),
        ("days", list(calendar.days.sorted().map { BusinessCalendar.dayNames[$0 - 1] })),
        ("hours", Node(calendar.hoursText)),
      ]
      if !calendar.holidays.isEmpty { entry.append(("holidays", list(calendar.holidays.sorted()))) }
      return (Node(calendar.name), map(entry))
    }
    var escalation: [(Node, Node)] = [("policies", map(policies)), ("routes", Node(routes))]
    if !calendars.isEmpty { escalation.append(("calendars", map(calendars))) }
    escalation.append(
      (
        "war_room",
        map([
          ("priorities", list(rules.warRoom.priorities.map(\.description))),
          ("channel", Node(rules.warRoom.channel)),
          ("roles", list(rules.warRoom.roles)),
        ])
      ))
    let targets = rules.sla.targets.sorted { $0.key < $1.key }.map { priority, target -> (Node, Node) in
      (
        Node(priority.description),
        map([("response", Node(target.response.compactText)), ("resolution", Node(target.resolution.compactText))])
      )
    }
    let sla = map([
      ("warning_at", number(rules.sla.warningRatio)),
      ("pause_on_hold", bool(rules.sla.pauseOnHold)),
      ("targets", map(targets)),
    ])
    return [("escalation", map(escalation)), ("sla", sla)]
  }

  private static func map(_ pairs: [(Node, Node)]) -> Node { Node.mapping(Node.Mapping(pairs)) }
  private static func list(_ items: [String]) -> Node { Node(items.map { Node($0) }) }
  private static func bool(_ value: Bool) -> Node { Node(value ? "true" : "false") }
  private static func number(_ value: Double) -> Node {
    Node(value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : String(value))
  }
}

extension EscalationRules {
  /// The pinned form: the YAML of these rules and a short version derived from it.
  /// Writing the YAML is far dearer than comparing rules, and a long-running process (the alert
  /// receiver) pins the same rules in every transaction: the last answer is kept.
  public func pinned() throws -> (version: String, text: String) {
    if let last = PinnedMemo.shared.answer(for: self) { return last }
    let text = try PolicyWriter.escalationYAML(self)
    let answer = ("p" + String(StableHash.fnv1a(text) >> 16, radix: 16), text)
    PinnedMemo.shared.keep(answer, for: self)
    return answer
  }

  /// Reads pinned rules back.
  public static func unpinned(version: String, text: String) throws -> EscalationRules {
    try PolicyLoader.parse(text, source: "pinned policy \(version)").escalation
  }
}

/// The last `EscalationRules.pinned()` answer, shared by the process's threads.
private final class PinnedMemo: @unchecked Sendable {
  static let shared = PinnedMemo()
  private let lock = NSLock()
  private var last: (rules: EscalationRules, answer: (version: String, text: String))?

  func answer(for rules: EscalationRules) -> (version: String, text: String)? {
    lock.withLock { last.flatMap { $0.rules == rules ? $0.answer : nil } }
  }

  func keep(_ answer: (version: String, text: String), for rules: EscalationRules) {
    lock.withLock { last = (rules, answer) }
  }
}
