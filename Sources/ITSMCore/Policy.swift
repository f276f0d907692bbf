import Foundation
import Yams

/// Service criticality tiers, most critical first.
public enum ServiceTier: String, CaseIterable, Sendable, Comparable {
  case vital, critical, important, deferrable

  public static func < (lhs: ServiceTier, rhs: ServiceTier) -> Bool {
    allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
  }
}

/// One entry of the service catalog.
public struct Service: Equatable, Sendable {
  public var name: String
  public var tier: ServiceTier
  public var owner: String?
  /// What the service needs, each entry required; an entry `a|b` is met by either of
  /// redundant alternatives.
  public var dependsOn: [String]
  /// Cost of one hour of lost productivity for this service's users; nil uses the default.
  public var hourlyCost: Double?
  /// The availability objective as a fraction (0.999); nil uses the tier's.
  public var slo: Double?

  public init(
    name: String, tier: ServiceTier, owner: String? = nil, dependsOn: [String] = [],
    hourlyCost: Double? = nil
  ) {
    self.name = name
    self.tier = tier
    self.owner = owner
    self.dependsOn = dependsOn
    self.hourlyCost = hourlyCost
  }
}

extension Service {
  /// The alternatives of one `depends_on` entry: `db-a|db-b` is either; `dns` is just dns.
  public static func alternatives(_ entry: String) -> [String] {
    guard entry.utf8.contains(UInt8(ascii: "|")) else { return [entry] }
    return entry.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
  }
}

/// Rules checked before an incident may close.
public struct ClosureRules: Equatable, Sendable {
  public var requireRootCause = true
  public var requireResolution = true
}

/// How alerts become incidents.
public struct AlertRules: Equatable, Sendable {
  /// A `resolved` alert resolves the open incident that holds its dedup key.
  public var resolveIncidents = true
  /// Alert severity names mapped to priorities, for alerts that carry no priority.
  public var severityPriority: [String: Priority] = [
    "critical": .p1, "error": .p2, "major": .p2, "warning": .p3, "minor": .p3, "info": .p4,
  ]
  /// Alertmanager labels that name the service, the first present wins.
  public var serviceLabels = ["service", "job"]
}

/// The effective policy: a policy file with the built-in defaults filled in.
public struct Policy: Equatable, Sendable {
  /// Where the policy came from: a path, or "built-in defaults".
  public var source: String = "built-in defaults"
  public var services: [String: Service] = [:]
  public var priorityMatrix = PriorityMatrix.itil
  public var closure = ClosureRules()
  public var alerts = AlertRules()
  /// Currency label used when printing costs.
  public var currency = "USD"
  /// Cost of one hour of lost productivity when the service sets none.
  public var hourlyCost: Double = 50
  /// Escalation policies, routes, calendars, the war room and SLA targets.
  public var escalation = EscalationRules.defaults
  /// Availability objectives (`itsm-report slo`).
  public var slo = SLORules()
  /// Key results `itsm-report okr` measures.
  public var keyResults = KeyResult.defaults
  /// Alert thresholds and the history window of `itsm-fmea`.
  public var fmea = FMEARules()
  /// Inactivity, grace period, exemptions and downgrades of `itsm-license`.
  public var licenses = LicenseRules()

  public init() {}

  /// Lost user-minutes priced at the service's hourly cost, to the cent.
  public func cost(ofLostMinutes minutes: Double, service: String) -> Double {
    ((minutes / 60) * hourlyCost(for: service) * 100).rounded() / 100
  }

  /// The hourly cost of lost productivity for a service.
  public func hourlyCost(for service: String) -> Double {
    services[service]?.hourlyCost ?? hourlyCost
  }
}

/// Finds and loads the policy the contract describes: `--policy`, `$ITSM_POLICY`,
/// `$XDG_CONFIG_HOME/itsm/policy.yaml` if present, else the built-in defaults.
public enum PolicyLoader {
  public static func resolvePath(explicit: String?, environment: [String: String]) -> String? {
    if let explicit { return explicit }
    if let fromEnv = environment["ITSM_POLICY"], !fromEnv.isEmpty { return fromEnv }
    let configHome =
      environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
      ?? (environment["HOME"].map { $0 + "/.config" } ?? "")
    let candidate = configHome + "/itsm/policy.yaml"
    return FileManager.default.fileExists(atPath: candidate) ? candidate : nil
  }

  public static func load(explicit: String?, environment: [String: String]) throws -> Policy {
    guard let path = resolvePath(explicit: explicit, environment: environment) else {
      return Policy()
    }
    return try load(path: path)
  }

  public static func load(path: String) throws -> Policy {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else {
      throw ITSMError.inputUnreadable(path: path, reason: "policy file does not exist")
    }
    guard let data = FileManager.default.contents(atPath: path) else {
      throw ITSMError.inputUnreadable(path: path, reason: "cannot read the policy file")
    }
    guard let text = String(data: data, encoding: .utf8) else {
      throw ITSMError.configuration("\(path): the policy file is not UTF-8")
    }
    return try parse(text, source: path)
  }

  /// Parses and validates policy text. Errors name the file, line, key path and problem.
  public static func parse(_ text: String, source: String) throws -> Policy {
    let node: Node?
    do {
      // Every value is read as text and checked here, so no implicit tags are needed; the
      // default resolver runs regular expressions on every scalar, and on every key again
      // when checking a mapping for duplicates (a third of loading a 10,000-service catalog).
      node = try Yams.compose(yaml: text, .basic)
    } catch let error as YamlError {
      throw ITSMError.configuration("\(source): invalid YAML: \(yamlMessage(error))")
    } catch {
      throw ITSMError.configuration("\(source): invalid YAML: \(error)")
    }
    var policy = Policy()
    policy.source = source
    guard let node else { return policy }
    let root = PolicyNode(node: node, path: "", source: source)
    try PolicySections.apply(root, to: &policy)
    return policy
  }

  private static func yamlMessage(_ error: YamlError) -> String {
    "\(error)".replacingOccurrences(of: "\n", with: " ")
  }
}

/// A YAML node with the key path that leads to it, so that every validation error can name
/// where it is: `policy.yaml:12: services.mail.tier: ...`.
public struct PolicyNode {
  let node: Node
  public let path: String
  let source: String

  public func fail(_ problem: String) -> ITSMError {
    let line = node.mark.map { ":\($0.line)" } ?? ""
    let at = path.isEmpty ? "" : "\(path): "
    return ITSMError.configuration("\(source)\(line): \(at)\(problem)")
  }

  func child(_ key: String, _ node: Node) -> PolicyNode {
    PolicyNode(node: node, path: path.isEmpty ? key : "\(path).\(key)", source: source)
  }

  /// The entries of a mapping, in file order; a key outside `allowed` is an error.
  public func mapping(allowed: Set<String>? = nil) throws -> [(String, PolicyNode)] {
    guard case .mapping(let mapping) = node else { throw fail("expected a mapping") }
    var entries: [(String, PolicyNode)] = []
    for (keyNode, value) in mapping {
      guard case .scalar(let key) = keyNode else { throw fail("keys must be plain names") }
      if let allowed, !allowed.contains(key.string) {
        let expected = allowed.sorted().joined(separator: ", ")
        throw child(key.string, value).fail("unknown key (expected one of: \(expected))")
      }
      entries.append((key.string, child(key.string, value)))
    }
    return entries
  }

  public func sequence() throws -> [PolicyNode] {
    guard case .sequence(let items) = node else { throw fail("expected a list") }
    return items.enumerated().map { index, item in
      PolicyNode(node: item, path: "\(path)[\(index)]", source: source)
    }
  }

  public func string() throws -> String {
    guard case .scalar(let scalar) = node, !scalar.string.isEmpty else {
      throw fail("expected a text value")
    }
    return scalar.string
  }

  public func bool() throws -> Bool {
    switch try string().lowercased() {
    case "true", "yes", "on": return true
    case "false", "no", "off": return false
    default: throw fail("expected true or false")
    }
  }

  public func number(in range: ClosedRange<Double>? = nil) throws -> Double {
    guard let value = Double(try string()), value.isFinite else { throw fail("expected a number") }
    if let range, !range.contains(value) {
      throw fail("\(value) is out of range (\(range.lowerBound) to \(range.upperBound))")
    }
    return value
  }

  public func stringList() throws -> [String] {
    if case .scalar = node { return [try string()] }
    return try sequence().map { try $0.string() }
  }
}

/// The sections of the policy file, each validated into the `Policy` value.
enum PolicySections {
  static func apply(_ root: PolicyNode, to policy: inout Policy) throws {
    let sections: Set<String> = [
      "version", "services", "priority_matrix", "incidents", "alerts", "costs", "escalation", "sla", "okr", "slo",
      "fmea", "licenses",
    ]
    for (key, node) in try root.mapping(allowed: sections) {
      switch key {
      case "version":
        guard try node.string() == "1" else { throw node.fail("unsupported policy version (expected 1)") }
      case "services": policy.services = try services(node)
      case "priority_matrix": policy.priorityMatrix = try matrix(node)
      case "incidents": try incidents(node, &policy)
      case "alerts": try alerts(node, &policy.alerts)
      case "costs": try costs(node, &policy)
      case "escalation": try escalation(node, &policy.escalation)
      case "sla": try sla(node, &policy.escalation.sla)
      case "okr": try okr(node, &policy.keyResults)
      case "slo": try slo(node, &policy.slo)
      case "fmea": try fmea(node, &policy.fmea)
      case "licenses": try licenses(node, &policy.licenses)
      default: break
      }
    }
    try checkDependencies(policy, root)
  }

  static func services(_ node: PolicyNode) throws -> [String: Service] {
    var services: [String: Service] = [:]
    for (name, entry) in try node.mapping() {
      var service = Service(name: name, tier: .important)
      for (key, value) in try entry.mapping(allowed: [
        "tier", "owner", "depends_on", "hourly_cost", "slo", "description",
      ]) {
        switch key {
        case "tier":
          let text = try value.string()
          guard let tier = ServiceTier(rawValue: text) else {
            throw value.fail("unknown tier '\(text)' (expected vital, critical, important or deferrable)")
          }
          service.tier = tier
        case "owner": service.owner = try value.string()
        case "depends_on":
          service.dependsOn = try value.stringList()
          if let blank = service.dependsOn.first(where: { Service.alternatives($0).isEmpty }) {
            throw value.fail("'\(blank)' names no service")
          }
        case "hourly_cost": service.hourlyCost = try value.number(in: 0...1e9)
        case "slo": service.slo = try availability(value)
        default: break
        }
      }
      services[name] = service
    }
    return services
  }

  static func checkDependencies(_ policy: Policy, _ root: PolicyNode) throws {
    // The first service in name order with an unknown dependency is named, without sorting
    // a large catalog that has none.
    var first: (service: String, dependency: String)?
    for service in policy.services.values {
      for entry in service.dependsOn {
        for dependency in Service.alternatives(entry) where policy.services[dependency] == nil {
          if first.map({ service.name < $0.service }) ?? true { first = (service.name, dependency) }
        }
      }
    }
    if let (service, dependency) = first {
      throw ITSMError.configuration(
        "\(root.source): services.\(service).depends_on: '\(dependency)' is not in the service catalog")
    }
    // A cycle is refused with its path: every tool that walks the map needs it to end.
    _ = try ServiceGraph(policy: policy)
  }

  static func matrix(_ node: PolicyNode) throws -> PriorityMatrix {
    let rows = try node.sequence()
    guard rows.count == 3 else { throw node.fail("expected 3 rows (impact 1..3) of 3 priorities (urgency 1..3)") }
    var cells: [[Priority]] = []
    for row in rows {
      let values = try row.sequence()
      guard values.count == 3 else { throw row.fail("expected 3 priorities (urgency 1..3)") }
      cells.append(
        try values.map { value in
          let text = try value.string()
          guard let p = Priority(parsing: text) else {
            throw value.fail("unknown priority '\(text)' (expected P1..P5)")
          }
          return p
        })
    }
    return PriorityMatrix(cells: cells)
  }

  static func incidents(_ node: PolicyNode, _ policy: inout Policy) throws {
    for (key, value) in try node.mapping(allowed: ["closure"]) where key == "closure" {
      for (rule, flag) in try value.mapping(allowed: ["require_root_cause", "require_resolution"]) {
        if rule == "require_root_cause" { policy.closure.requireRootCause = try flag.bool() }
        if rule == "require_resolution" { policy.closure.requireResolution = try flag.bool() }
      }
    }
  }

  static func alerts(_ node: PolicyNode, _ rules: inout AlertRules) throws {
    for (key, value) in try node.mapping(allowed: ["resolve_incidents", "severity_priority", "service_labels"]) {
      switch key {
      case "resolve_incidents": rules.resolveIncidents = try value.bool()
      case "service_labels": rules.serviceLabels = try value.stringList()
      case "severity_priority":
        var map: [String: Priority] = [:]
        for (severity, priorityNode) in try value.mapping() {
          let text = try priorityNode.string()
          guard let p = Priority(parsing: text) else {
            throw priorityNode.fail("unknown priority '\(text)' (expected P1..P5)")
          }
          map[severity.lowercased()] = p
        }
        rules.severityPriority = map
      default: break
      }
    }
  }

  static func costs(_ node: PolicyNode, _ policy: inout Policy) throws {
    for (key, value) in try node.mapping(allowed: ["currency", "hourly_cost"]) {
      switch key {
      case "currency": policy.currency = try value.string()
      case "hourly_cost": policy.hourlyCost = try value.number(in: 0...1e9)
      default: break
      }
    }
  }
}

extension PolicySections {
  /// `fmea: {alert: {rpn_over: 120, action_priority: H, notify: team:problem-management}, window: 365d}`
  static func fmea(_ node: PolicyNode, _ rules: inout FMEARules) throws {
    for (key, value) in try node.mapping(allowed: ["alert", "window"]) {
      switch key {
      case "window": rules.window = try duration(value, positive: true)
      case "alert":
        for (name, setting) in try value.mapping(allowed: ["rpn_over", "action_priority", "notify"]) {
          switch name {
          case "rpn_over":
            let value = try setting.number(in: 0...1000)
            guard value == value.rounded() else { throw setting.fail("expected a whole number") }
            rules.alertRPNOver = Int(value)
          case "action_priority":
            let text = try setting.string()
            if text.lowercased() == "none" {
              rules.alertActionPriority = nil
            } else {
              guard let ap = ActionPriority(rawValue: text.uppercased()) else {
                throw setting.fail("unknown action priority '\(text)' (expected H, M, L or none)")
              }
              rules.alertActionPriority = ap
            }
          case "notify":
            switch EscalationTarget.parse(try setting.string()) {
            case .success(let target): rules.alertTarget = target
            case .failure(let error): throw setting.fail(error.messages.joined())
            }
          default: break
          }
        }
      default: break
      }
    }
  }
}

extension PolicySections {
  /// `licenses: {inactive_days: 30, new_hire_days: 30, grace_period: 14d, notify: ...,
  /// apps: {m365: {inactive_days: 45, downgrade: {E5: E3}}}, exempt: {accounts: [...], departments: [...], groups: [...]}}`
  static func licenses(_ node: PolicyNode, _ rules: inout LicenseRules) throws {
    func days(_ value: PolicyNode) throws -> Int {
      let d = try value.number(in: 1...3650)
      guard d == d.rounded() else { throw value.fail("expected a whole number of days") }
      return Int(d)
    }
    for (key, value) in try node.mapping(allowed: [
      "inactive_days", "new_hire_days", "grace_period", "notify", "apps", "exempt",
    ]) {
      switch key {
      case "inactive_days": rules.inactiveDays = try days(value)
      case "new_hire_days": rules.newHireDays = try days(value)
      case "grace_period": rules.gracePeriod = try duration(value, positive: true)
      case "notify":
        switch EscalationTarget.parse(try value.string()) {
        case .success(let target): rules.notify = target
        case .failure(let error): throw value.fail(error.messages.joined())
        }
      case "apps":
        for (app, entry) in try value.mapping() {
          var appRules = LicenseRules.AppRules()
          for (name, setting) in try entry.mapping(allowed: ["inactive_days", "downgrade"]) {
            if name == "inactive_days" { appRules.inactiveDays = try days(setting) }
            if name == "downgrade" {
              for (from, to) in try setting.mapping() { appRules.downgrade[from] = try to.string() }
            }
          }
          rules.apps[app] = appRules
        }
      case "exempt":
        for (name, list) in try value.mapping(allowed: ["accounts", "departments", "groups"]) {
          if name == "accounts" { rules.exemptAccounts = Set(try list.stringList()) }
          if name == "departments" { rules.exemptDepartments = Set(try list.stringList()) }
          if name == "groups" { rules.exemptGroups = Set(try list.stringList()) }
        }
      default: break
      }
    }
  }
}
