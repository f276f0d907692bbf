import Foundation

/// The service dependency map of the catalog: each service needs every entry of its
/// `depends_on`, and an entry `a|b` is met while either alternative is up. Built once per
/// command; a cycle is refused with its path.
public struct ServiceGraph: Sendable {
  /// Sorted: comparing indexes compares names.
  public let names: [String]
  public let tiers: [ServiceTier]
  public let owners: [String?]
  let index: [String: Int]
  /// The `depends_on` entries as written, per service.
  let entries: [[String]]
  /// Requirement groups: `groupOwner[g]` needs at least one of `groupMembers[g]`.
  let groupOwner: [Int]
  let groupMembers: [[Int]]
  /// For each service, the groups it is an alternative in.
  let memberOf: [[Int]]
  /// Direct dependencies and dependents (every alternative counts), without repeats.
  public let dependencies: [[Int]]
  public let dependents: [[Int]]
  /// Services before the services they depend on.
  let order: [Int]

  public init(policy: Policy) throws {
    let services = policy.services.values.sorted { $0.name < $1.name }
    names = services.map(\.name)
    tiers = services.map(\.tier)
    owners = services.map(\.owner)
    entries = services.map(\.dependsOn)
    var index: [String: Int] = [:]
    for (i, name) in names.enumerated() { index[name] = i }
    self.index = index
    var owner: [Int] = []
    var members: [[Int]] = []
    var memberOf = Array(repeating: [Int](), count: names.count)
    var dependencies = Array(repeating: [Int](), count: names.count)
    var dependents = Array(repeating: [Int](), count: names.count)
    for (s, service) in services.enumerated() {
      var direct = Set<Int>()
      for entry in service.dependsOn {
        let alternatives = Array(Set(Service.alternatives(entry).compactMap { index[$0] })).sorted()
        guard !alternatives.isEmpty else { continue }
        for m in alternatives {
          memberOf[m].append(owner.count)
          if direct.insert(m).inserted {
            dependencies[s].append(m)
            dependents[m].append(s)
          }
        }
        owner.append(s)
        members.append(alternatives)
      }
    }
    groupOwner = owner
    groupMembers = members
    self.memberOf = memberOf
    self.dependencies = dependencies
    self.dependents = dependents
    order = try ServiceGraph.topologicalOrder(names: names, dependencies: dependencies, dependents: dependents)
      .get(source: policy.source)
  }

  public func index(of name: String) -> Int? { index[name] }

  /// Kahn's algorithm, dependents first; on a cycle, the cycle's path.
  private static func topologicalOrder(names: [String], dependencies: [[Int]], dependents: [[Int]]) -> CycleResult {
    var remaining = dependents.map(\.count)
    var order = remaining.indices.filter { remaining[$0] == 0 }
    var head = 0
    while head < order.count {
      for m in dependencies[order[head]] {
        remaining[m] -= 1
        if remaining[m] == 0 { order.append(m) }
      }
      head += 1
    }
    guard order.count < names.count, let start = remaining.indices.first(where: { remaining[$0] > 0 }) else {
      return .ordered(order)
    }
    // Every service left has a dependent left: walking dependents must come round.
    var walk = [start]
    var position = [start: 0]
    var current = start
    while true {
      let next = dependents[current].first { remaining[$0] > 0 }!
      if let at = position[next] {
        let cycle = (walk[at...] + [next]).reversed().map { names[$0] }
        return .cycle(cycle)
      }
      position[next] = walk.count
      walk.append(next)
      current = next
    }
  }

  private enum CycleResult {
    case ordered([Int])
    case cycle([String])

    func get(source: String) throws -> [Int] {
      switch self {
      case .ordered(let order): return order
      case .cycle(let path):
        throw ITSMError.configuration(
          "\(source): services: dependency cycle: \(path.joined(separator: " -> ")) (depends_on must not loop)")
      }
    }
  }

  /// Every service reachable along `edges` from `start`, without it.
  func reachable(from start: Int, _ edges: [[Int]]) -> [Int] {
    var seen = Set([start])
    var queue = [start]
    var head = 0
    while head < queue.count {
      for next in edges[queue[head]] where seen.insert(next).inserted { queue.append(next) }
      head += 1
    }
    return Array(queue.dropFirst())
  }

  /// Everything `service` needs, directly or not.
  public func upstream(of service: Int) -> [Int] { reachable(from: service, dependencies) }

  /// Everything that needs `service`, directly or not.
  public func downstream(of service: Int) -> [Int] { reachable(from: service, dependents) }
}

/// A component whose loss alone takes down at least one vital or critical service.
public struct SinglePointOfFailure: Sendable {
  public var component: Int
  /// The vital and critical services lost with it.
  public var cuts: [Int]
  /// Every service lost with it.
  public var blastRadius: [Int]
  /// A vital or critical service needs it directly, with no alternative.
  public var singleDependency: Bool
}

extension ServiceGraph {
  /// Each service whose loss makes a vital or critical service fail, with its blast radius:
  /// the loss spreads to every service that has an entry of `depends_on` with no alternative
  /// left. Ordered by vital and critical services cut, then blast radius, then name.
  public func singlePointsOfFailure() -> [SinglePointOfFailure] {
    let isVital = tiers.map { $0 <= .critical }
    // Only services below some vital or critical one can cut one off; found in one pass,
    // dependents first.
    var belowVital = Array(repeating: false, count: names.count)
    for s in order where isVital[s] || belowVital[s] {
      for m in dependencies[s] { belowVital[m] = true }
    }
    var lostAt = Array(repeating: -1, count: names.count)
    var groupAt = Array(repeating: -1, count: groupOwner.count)
    var groupLeft = Array(repeating: 0, count: groupOwner.count)
    var queue: [Int] = []
    queue.reserveCapacity(names.count)
    var found: [SinglePointOfFailure] = []
    for c in names.indices where belowVital[c] {
      queue.removeAll(keepingCapacity: true)
      queue.append(c)
      lostAt[c] = c
      var head = 0
      while head < queue.count {
        for g in memberOf[queue[head]] {
          if groupAt[g] != c {
            groupAt[g] = c
            groupLeft[g] = groupMembers[g].count
          }
          groupLeft[g] -= 1
          let owner = groupOwner[g]
          if groupLeft[g] == 0 && lostAt[owner] != c {
            lostAt[owner] = c
            queue.append(owner)
          }
        }
        head += 1
      }
      let cuts = queue.dropFirst().filter { isVital[$0] }
      guard !cuts.isEmpty else { continue }
      let single = memberOf[c].contains { groupMembers[$0].count == 1 && isVital[groupOwner[$0]] }
      found.append(
        SinglePointOfFailure(
          component: c, cuts: cuts.sorted(), blastRadius: Array(queue.dropFirst()),
          singleDependency: single))
    }
    return found.sorted { a, b in
      if a.cuts.count != b.cuts.count { return a.cuts.count > b.cuts.count }
      if a.blastRadius.count != b.blastRadius.count { return a.blastRadius.count > b.blastRadius.count }
      return a.component < b.component
    }
  }

  /// The record of kind `fmea.spof`; `modes` are the failure modes registered on the component.
  public func record(_ spof: SinglePointOfFailure, modes: [FailureMode]) -> JSONObject {
    let c = spof.component
    var o = JSONObject([JSONField("kind", .string("fmea.spof")), JSONField("component", .string(names[c]))])
    o.add("tier", .string(tiers[c].rawValue))
    o.add("owner", owners[c].map { .string($0) })
    o.add("single_dependency", .bool(spof.singleDependency))
    o.add("cuts", .array(spof.cuts.map { .string(names[$0]) }))
    o.add("blast_radius", .int(Int64(spof.blastRadius.count)))
    var byTier = JSONObject()
    for tier in ServiceTier.allCases {
      let n = spof.blastRadius.filter { tiers[$0] == tier }.count
      if n > 0 { byTier.add(tier.rawValue, .int(Int64(n))) }
    }
    o.add("blast_radius_by_tier", .object(byTier))
    let downstream = spof.blastRadius.sorted { (tiers[$0], $0) < (tiers[$1], $1) }
    o.add(
      "downstream",
      .array(
        downstream.map {
          .object(
            JSONObject([JSONField("service", .string(names[$0])), JSONField("tier", .string(tiers[$0].rawValue))]))
        }))
    o.add(
      "failure_modes",
      .array(
        modes.map {
          .object(
            JSONObject([
              JSONField("id", .string($0.id)), JSONField("rpn", .int(Int64($0.scores.rpn))),
              JSONField("action_priority", .string($0.scores.actionPriority.rawValue)),
            ]))
        }))
    return o
  }
}

extension ServiceTier {
  /// Fill colours for drawings, from red (vital) to grey (deferrable).
  var colour: String {
    switch self {
    case .vital: return "#d6604d"
    case .critical: return "#f4a582"
    case .important: return "#fddbc7"
    case .deferrable: return "#e0e0e0"
    }
  }
}

/// The dependency map as records, Graphviz DOT or Mermaid.
extension ServiceGraph {
  /// The services to show: all, or one with everything upstream and downstream of it, each
  /// with its relation to it.
  public func scope(focus: Int?) -> [(Int, String?)] {
    guard let focus else { return names.indices.map { ($0, nil) } }
    return [(focus, "self")] + upstream(of: focus).map { ($0, "upstream") }
      + downstream(of: focus).map { ($0, "downstream") }
  }

  /// The record of kind `service`.
  public func record(_ s: Int, relation: String?) -> JSONObject {
    var o = JSONObject([JSONField("kind", .string("service")), JSONField("name", .string(names[s]))])
    o.add("tier", .string(tiers[s].rawValue))
    o.add("owner", owners[s].map { .string($0) })
    o.add("relation", relation.map { .string($0) })
    o.add("depends_on", .array(entries[s].map { .string($0) }))
    o.add("dependents", .array(dependents[s].map { names[$0] }.sorted().map { .string($0) }))
    return o
  }

  /// Edges among `shown`: (service, dependency, is it one of several alternatives).
  func edges(among shown: Set<Int>) -> [(Int, Int, Bool)] {
    var edges: [(Int, Int, Bool)] = []
    for g in groupOwner.indices where shown.contains(groupOwner[g]) {
      for m in groupMembers[g] where shown.contains(m) {
        edges.append((groupOwner[g], m, groupMembers[g].count > 1))
      }
    }
    return edges
  }

  public func dot(focus: Int?) -> String {
    let shown = scope(focus: focus).map(\.0)
    func escaped(_ s: String) -> String {
      guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\"") }) else { return s }
      return s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
    }
    func quoted(_ s: String) -> String { "\"" + escaped(s) + "\"" }
    var lines = [
      "digraph services {", "  rankdir=LR;",
      "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];",
    ]
    for s in shown {
      let bold = s == focus ? ", penwidth=3" : ""
      let label = "\"" + escaped(names[s]) + "\\n" + tiers[s].rawValue + "\""
      lines.append("  \(quoted(names[s])) [label=\(label), fillcolor=\"\(tiers[s].colour)\"\(bold)];")
    }
    for (from, to, alternative) in edges(among: Set(shown)) {
      lines.append(
        "  \(quoted(names[from])) -> \(quoted(names[to]))\(alternative ? " [style=dashed, label=\"or\"]" : "");")
    }
    lines.append("}")
    return lines.joined(separator: "\n") + "\n"
  }

  public func mermaid(focus: Int?) -> String {
    let shown = scope(focus: focus).map(\.0)
    func label(_ s: String) -> String {
      s.utf8.contains(UInt8(ascii: "\"")) ? s.replacingOccurrences(of: "\"", with: "#quot;") : s
    }
    var lines = ["graph LR"]
    for s in shown {
      lines.append("  n\(s)[\"\(label(names[s]))<br/>\(tiers[s].rawValue)\"]:::\(tiers[s].rawValue)")
    }
    for (from, to, alternative) in edges(among: Set(shown)) {
      lines.append(alternative ? "  n\(from) -. or .-> n\(to)" : "  n\(from) --> n\(to)")
    }
    for tier in ServiceTier.allCases {
      lines.append("  classDef \(tier.rawValue) fill:\(tier.colour),stroke:#333")
    }
    if let focus { lines.append("  style n\(focus) stroke-width:4px") }
    return lines.joined(separator: "\n") + "\n"
  }
}
