import Foundation

/// The `escalation` and `sla` sections of the policy file.
extension PolicySections {
  static func escalation(_ node: PolicyNode, _ rules: inout EscalationRules) throws {
    var routeNodes: [PolicyNode] = []
    var policiesGiven = false
    var routesGiven = false
    for (key, value) in try node.mapping(allowed: ["policies", "routes", "calendars", "war_room"]) {
      switch key {
      case "policies":
        rules.policies = try value.mapping().map { try policy(named: $0, $1) }
        guard !rules.policies.isEmpty else { throw value.fail("expected at least one policy") }
        policiesGiven = true
      case "routes":
        routeNodes = try value.sequence()
        rules.routes = try routeNodes.map(route)
        routesGiven = true
      case "calendars": rules.calendars = try value.mapping().map { try calendar(named: $0, $1) }
      case "war_room": try warRoom(value, &rules.warRoom)
      default: break
      }
    }
    if policiesGiven && !routesGiven {
      // Policies of one's own without routes: everything goes to the first one.
      rules.routes = [EscalationRoute(policy: rules.policies[0].name)]
    }
    for (index, route) in rules.routes.enumerated() {
      let at = routeNodes.indices.contains(index) ? routeNodes[index] : node
      if rules.policy(named: route.policy) == nil {
        let known = rules.policies.map(\.name).joined(separator: ", ")
        throw at.fail("route names policy '\(route.policy)', which does not exist (policies: \(known))")
      }
      if let name = route.calendar, rules.calendar(named: name) == nil {
        throw at.fail("route names calendar '\(name)', which does not exist")
      }
    }
  }

  static func policy(named name: String, _ node: PolicyNode) throws -> EscalationPolicy {
    var result = EscalationPolicy(name: name, levels: [])
    for (key, value) in try node.mapping(allowed: ["levels", "ack_timeout", "renotify_limit", "description"]) {
      switch key {
      case "levels": result.levels = try value.sequence().map(level)
      case "ack_timeout": result.ackTimeout = try duration(value, positive: true)
      case "renotify_limit": result.renotifyLimit = Int(try value.number(in: 0...100))
      default: break
      }
    }
    guard !result.levels.isEmpty else { throw node.fail("a policy needs at least one level") }
    return result
  }

  static func level(_ node: PolicyNode) throws -> EscalationLevel {
    var result = EscalationLevel(targets: [], delay: .minutes(0))
    var delayGiven = false
    for (key, value) in try node.mapping(allowed: ["targets", "delay", "repeat", "until"]) {
      switch key {
      case "targets":
        result.targets = try value.sequence().map { item in
          switch EscalationTarget.parse(try item.string()) {
          case .success(let target): return target
          case .failure(let error): throw item.fail(error.messages.joined())
          }
        }
      case "delay":
        result.delay = try duration(value, positive: true)
        delayGiven = true
      case "repeat": result.repeats = Int(try value.number(in: 0...100))
      case "until":
        let text = try value.string()
        guard let condition = EscalationLevel.Condition(rawValue: text) else {
          throw value.fail("unknown condition '\(text)' (expected acknowledged or resolved)")
        }
        result.until = condition
      default: break
      }
    }
    guard !result.targets.isEmpty else { throw node.fail("a level needs at least one target") }
    guard delayGiven else { throw node.fail("a level needs a delay (how long before the next level fires)") }
    return result
  }

  static func duration(_ node: PolicyNode, positive: Bool) throws -> DurationValue {
    let text = try node.string()
    if text.hasPrefix("-") { throw node.fail("'\(text)': a duration cannot be negative") }
    let value: DurationValue
    do {
      value = try DurationValue.parse(text)
    } catch let error as ITSMError {
      throw node.fail(error.messages.joined())
    }
    if positive && value.seconds <= 0 { throw node.fail("'\(text)': the duration must be more than zero") }
    return value
  }

  static func route(_ node: PolicyNode) throws -> EscalationRoute {
    var result = EscalationRoute(policy: "")
    for (key, value) in try node.mapping(allowed: ["priority", "service", "tier", "region", "calendar", "policy"]) {
      switch key {
      case "priority": result.priorities = try priorities(value)
      case "service": result.services = try value.stringList()
      case "tier":
        result.tiers = try value.sequenceOrScalar().map { item in
          let text = try item.string()
          guard let tier = ServiceTier(rawValue: text) else {
            throw item.fail("unknown tier '\(text)' (expected vital, critical, important or deferrable)")
          }
          return tier
        }
      case "region": result.regions = try value.stringList()
      case "calendar": result.calendar = try value.string()
      case "policy": result.policy = try value.string()
      default: break
      }
    }
    guard !result.policy.isEmpty else { throw node.fail("a route needs a policy") }
    return result
  }

  static func priorities(_ node: PolicyNode) throws -> [Priority] {
    try node.sequenceOrScalar().map { item in
      let text = try item.string()
      guard let p = Priority(parsing: text) else { throw item.fail("unknown priority '\(text)' (expected P1..P5)") }
      return p
    }
  }

  static func calendar(named name: String, _ node: PolicyNode) throws -> BusinessCalendar {
    var zone: (TimeZone, String)?
    var days: Set<Int> = [1, 2, 3, 4, 5]
    var span: (Int, Int)?
    var holidays: Set<String> = []
    for (key, value) in try node.mapping(allowed: ["timezone", "days", "hours", "holidays"]) {
      switch key {
      case "timezone":
        let text = try value.string()
        guard text.contains("/") || text == "UTC" || text == "GMT", let found = TimeZone(identifier: text) else {
          throw value.fail("unknown time zone '\(text)' (expected an IANA name such as Europe/Berlin)")
        }
        zone = (found, text)
      case "days": days = try weekdays(value)
      case "hours": span = try hours(value)
      case "holidays":
        holidays = Set(
          try value.sequenceOrScalar().map { item in
            let text = try item.string()
            guard text.count == 10, TimestampParser.parseAbsolute(text) != nil else {
              throw item.fail("'\(text)' is not a date (yyyy-mm-dd)")
            }
            return text
          })
      default: break
      }
    }
    guard let zone else { throw node.fail("a calendar needs a timezone") }
    guard let span else { throw node.fail("a calendar needs hours, such as 08:00-18:00") }
    return BusinessCalendar(
      name: name, timeZone: zone.0, zoneName: zone.1, days: days, startMinute: span.0, endMinute: span.1,
      holidays: holidays)
  }

  static func weekdays(_ node: PolicyNode) throws -> Set<Int> {
    var result: Set<Int> = []
    for item in try node.sequenceOrScalar() {
      let text = try item.string().lowercased()
      let ends = text.split(separator: "-").map(String.init)
      let numbers = ends.compactMap { BusinessCalendar.dayNames.firstIndex(of: $0).map { $0 + 1 } }
      guard numbers.count == ends.count, (1...2).contains(numbers.count) else {
        throw item.fail("'\(text)' is not a day or a range of days (mon, tue, ... sun; mon-fri)")
      }
      var day = numbers[0]
      let last = numbers.last!
      while true {
        result.insert(day)
        if day == last { break }
        day = day % 7 + 1
      }
    }
    return result
  }

  static func hours(_ node: PolicyNode) throws -> (Int, Int) {
    let text = try node.string()
    func minute(_ part: Substring) -> Int? {
      let pieces = part.split(separator: ":")
      guard pieces.count == 2, let h = Int(pieces[0]), let m = Int(pieces[1]), (0...24).contains(h),
        (0..<60).contains(m)
      else { return nil }
      let total = h * 60 + m
      return total <= 1440 ? total : nil
    }
    let ends = text.split(separator: "-")
    guard ends.count == 2, let start = minute(ends[0]), let end = minute(ends[1]), start < 1440 else {
      throw node.fail("'\(text)' is not a span of hours such as 08:00-18:00")
    }
    if start == 0 && end == 1440 { return (0, 1440) }
    guard start != end % 1440 else { throw node.fail("'\(text)' starts and ends at the same time") }
    // 18:00-24:00 ends at midnight: the same as a span that crosses it and ends at 00:00.
    return (start, end == 1440 ? 0 : end)
  }

  static func warRoom(_ node: PolicyNode, _ rule: inout WarRoomRule) throws {
    for (key, value) in try node.mapping(allowed: ["priorities", "channel", "roles"]) {
      switch key {
      case "priorities": rule.priorities = try priorities(value)
      case "channel": rule.channel = try value.string()
      case "roles": rule.roles = try value.stringList()
      default: break
      }
    }
  }

  static func sla(_ node: PolicyNode, _ rules: inout SLARules) throws {
    for (key, value) in try node.mapping(allowed: ["targets", "warning_at", "pause_on_hold"]) {
      switch key {
      case "warning_at":
        let text = try value.string()
        let ratio: Double?
        if text.hasSuffix("%") { ratio = Double(text.dropLast()).map { $0 / 100 } } else { ratio = Double(text) }
        guard let ratio, ratio > 0, ratio < 1 else {
          throw value.fail("'\(text)' is not a fraction of the target between 0 and 1 (such as 0.75 or 75%)")
        }
        rules.warningRatio = ratio
      case "pause_on_hold": rules.pauseOnHold = try value.bool()
      case "targets":
        for (name, entry) in try value.mapping() {
          guard let priority = Priority(parsing: name) else {
            throw entry.fail("unknown priority '\(name)' (expected P1..P5)")
          }
          var target = rules.targets[priority] ?? SLATarget(response: .minutes(0), resolution: .minutes(0))
          for (clock, text) in try entry.mapping(allowed: ["response", "resolution"]) {
            let value = try duration(text, positive: true)
            if clock == "response" { target.response = value } else { target.resolution = value }
          }
          if target.response.seconds == 0 || target.resolution.seconds == 0 {
            throw entry.fail("needs both a response and a resolution target")
          }
          rules.targets[priority] = target
        }
      default: break
      }
    }
  }
}

/// The `slo` section and availability values.
extension PolicySections {
  /// `99.9%` or `0.999`, above 0 and below 1.
  static func availability(_ node: PolicyNode) throws -> Double {
    let text = try node.string()
    let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
    guard let value, value > 0, value < 1 else {
      throw node.fail("'\(text)' is not an availability objective such as 99.9% or 0.999")
    }
    return value
  }

  static func slo(_ node: PolicyNode, _ rules: inout SLORules) throws {
    for (key, value) in try node.mapping(allowed: ["window", "weights", "targets"]) {
      switch key {
      case "window": rules.window = try duration(value, positive: true)
      case "weights":
        for (level, weight) in try value.mapping(allowed: Set(OutageLevel.allCases.map(\.rawValue))) {
          rules.weights[OutageLevel(rawValue: level)!] = try weight.number(in: 0...1)
        }
      case "targets":
        for (tier, target) in try value.mapping(allowed: Set(ServiceTier.allCases.map(\.rawValue))) {
          rules.tierTargets[ServiceTier(rawValue: tier)!] = try availability(target)
        }
      default: break
      }
    }
  }
}

/// The `okr` section.
extension PolicySections {
  static func okr(_ node: PolicyNode, _ keyResults: inout [KeyResult]) throws {
    for (key, value) in try node.mapping(allowed: ["key_results"]) where key == "key_results" {
      keyResults = try value.sequence().map(keyResult)
    }
  }

  static func keyResult(_ node: PolicyNode) throws -> KeyResult {
    var result = KeyResult(name: "", measure: .resolvedWithin, target: -1)
    for (key, value) in try node.mapping(allowed: ["name", "measure", "priority", "within", "target"]) {
      switch key {
      case "name": result.name = try value.string()
      case "measure":
        let text = try value.string()
        guard let measure = KeyResult.Measure(rawValue: text) else {
          let known = KeyResult.Measure.allCases.map(\.rawValue).joined(separator: ", ")
          throw value.fail("unknown measure '\(text)' (expected one of: \(known))")
        }
        result.measure = measure
      case "priority": result.priority = try priorities(value).first
      case "within": result.within = try duration(value, positive: true)
      case "target": result.target = try fraction(value)
      default: break
      }
    }
    guard !result.name.isEmpty else { throw node.fail("a key result needs a name") }
    guard result.target >= 0 else { throw node.fail("a key result needs a target, such as 95%") }
    if result.measure != .shiftLeft && result.within == nil {
      throw node.fail("measure '\(result.measure.rawValue)' needs 'within', such as 90m")
    }
    return result
  }

  /// `95%` or `0.95`, from 0 to 1.
  static func fraction(_ node: PolicyNode) throws -> Double {
    let text = try node.string()
    let value = text.hasSuffix("%") ? Double(text.dropLast()).map { $0 / 100 } : Double(text)
    guard let value, (0...1).contains(value) else {
      throw node.fail("'\(text)' is not a fraction from 0 to 1 (such as 0.95 or 95%)")
    }
    return value
  }
}

extension PolicyNode {
  /// A list, or a single value standing for a list of one.
  func sequenceOrScalar() throws -> [PolicyNode] {
    if case .scalar = node { return [self] }
    return try sequence()
  }
}
