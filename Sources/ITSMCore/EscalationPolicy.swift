import Foundation

/// Who a notification goes to: `person:ana`, `team:sre`, `schedule:primary-oncall`,
/// `channel:#incidents` or `command:/usr/local/bin/page`.
public struct EscalationTarget: Hashable, Sendable, CustomStringConvertible {
  public enum Kind: String, CaseIterable, Sendable {
    case person, team, schedule, channel, command
  }

  public var kind: Kind
  public var name: String

  public init(_ kind: Kind, _ name: String) {
    self.kind = kind
    self.name = name
  }

  /// Parses `kind:name`; nil with the reason when the text is not one.
  public static func parse(_ text: String) -> Result<EscalationTarget, ITSMError> {
    guard let colon = text.firstIndex(of: ":") else {
      return .failure(.invalidValue("target '\(text)' is not kind:name (kinds: \(kindNames))"))
    }
    let kindText = String(text[..<colon])
    let name = String(text[text.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
    guard let kind = Kind(rawValue: kindText) else {
      return .failure(.invalidValue("unknown target kind '\(kindText)' (expected one of: \(kindNames))"))
    }
    guard !name.isEmpty else { return .failure(.invalidValue("target '\(text)' names nobody")) }
    return .success(EscalationTarget(kind, name))
  }

  static let kindNames = Kind.allCases.map(\.rawValue).joined(separator: ", ")

  public var description: String { "\(kind.rawValue):\(name)" }
}

/// One level of an escalation policy.
public struct EscalationLevel: Equatable, Sendable {
  /// What must happen to stop the escalation past this level.
  public enum Condition: String, Sendable {
    case acknowledged, resolved
  }

  public var targets: [EscalationTarget]
  /// How long after this level fired the next one fires (or this one repeats) while the
  /// condition is not met.
  public var delay: DurationValue
  /// How many times the last level fires again, `delay` apart.
  public var repeats = 0
  public var until = Condition.acknowledged

  public init(targets: [EscalationTarget], delay: DurationValue, repeats: Int = 0, until: Condition = .acknowledged) {
    self.targets = targets
    self.delay = delay
    self.repeats = repeats
    self.until = until
  }
}

/// An ordered list of levels, and how acknowledged incidents are chased.
public struct EscalationPolicy: Equatable, Sendable {
  public var name: String
  public var levels: [EscalationLevel]
  /// Acknowledged but unresolved incidents with no change for this long are notified again.
  public var ackTimeout: DurationValue?
  /// At most this many re-notifications per incident.
  public var renotifyLimit = 3

  public init(name: String, levels: [EscalationLevel], ackTimeout: DurationValue? = nil, renotifyLimit: Int = 3) {
    self.name = name
    self.levels = levels
    self.ackTimeout = ackTimeout
    self.renotifyLimit = renotifyLimit
  }
}

/// Business hours in an IANA time zone: days of the week, a span of hours (which may cross
/// midnight: 18:00-08:00 is the night shift that starts on each listed day) and holidays.
public struct BusinessCalendar: Equatable, Sendable {
  public static let dayNames = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]

  public var name: String
  public var timeZone: TimeZone
  /// The zone's name as the policy gave it (Foundation may report UTC as GMT).
  public var zoneName: String
  /// ISO weekdays, 1 = Monday .. 7 = Sunday.
  public var days: Set<Int>
  /// Minutes after local midnight; `end <= start` means the span ends the next day.
  public var startMinute: Int
  public var endMinute: Int
  /// Local dates (yyyy-MM-dd) on which no span starts.
  public var holidays: Set<String>

  public init(
    name: String, timeZone: TimeZone, zoneName: String? = nil, days: Set<Int>, startMinute: Int, endMinute: Int,
    holidays: Set<String> = []
  ) {
    self.name = name
    self.timeZone = timeZone
    self.zoneName = zoneName ?? timeZone.identifier
    self.days = days
    self.startMinute = startMinute
    self.endMinute = endMinute
    self.holidays = holidays
  }

  /// Whether the instant falls in business hours, judged on the local wall clock (so a span
  /// keeps its local hours across daylight-saving changes).
  public func contains(_ time: Timestamp) -> Bool {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = timeZone
    let date = Date(timeIntervalSince1970: TimeInterval(time.seconds))
    let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .weekday], from: date)
    let minute = (parts.hour ?? 0) * 60 + (parts.minute ?? 0)
    // Calendar weekdays run 1 = Sunday .. 7 = Saturday; ISO runs 1 = Monday .. 7 = Sunday.
    let weekday = ((parts.weekday ?? 1) + 5) % 7 + 1
    let today = String(format: "%04d-%02d-%02d", parts.year ?? 0, parts.month ?? 0, parts.day ?? 0)
    if startMinute < endMinute {
      return minute >= startMinute && minute < endMinute && days.contains(weekday) && !holidays.contains(today)
    }
    // A span across midnight: the evening part belongs to today, the morning part to the day
    // before.
    if minute >= startMinute { return days.contains(weekday) && !holidays.contains(today) }
    if minute < endMinute {
      let yesterdayDate = calendar.date(byAdding: .day, value: -1, to: date) ?? date
      let y = calendar.dateComponents([.year, .month, .day], from: yesterdayDate)
      let yesterday = String(format: "%04d-%02d-%02d", y.year ?? 0, y.month ?? 0, y.day ?? 0)
      let previousWeekday = (weekday + 5) % 7 + 1
      return days.contains(previousWeekday) && !holidays.contains(yesterday)
    }
    return false
  }

  public var hoursText: String {
    String(format: "%02d:%02d-%02d:%02d", startMinute / 60, startMinute % 60, endMinute / 60, endMinute % 60)
  }
}

/// Chooses an escalation policy: the first route whose conditions all hold wins; a route with
/// no conditions matches everything.
public struct EscalationRoute: Equatable, Sendable {
  public var priorities: [Priority] = []
  public var services: [String] = []
  public var tiers: [ServiceTier] = []
  public var regions: [String] = []
  public var calendar: String?
  public var policy: String

  public init(policy: String) { self.policy = policy }
}

/// Response and resolution targets for one priority.
public struct SLATarget: Equatable, Sendable {
  public var response: DurationValue
  public var resolution: DurationValue

  public init(response: DurationValue, resolution: DurationValue) {
    self.response = response
    self.resolution = resolution
  }
}

/// SLA clocks: targets per priority, the warning threshold and whether holds pause the clock.
public struct SLARules: Equatable, Sendable {
  public var targets: [Priority: SLATarget]
  /// The fraction of a target at which a warning is raised.
  public var warningRatio = 0.75
  public var pauseOnHold = true

  public init(targets: [Priority: SLATarget]) { self.targets = targets }

  public static let defaults = SLARules(targets: [
    .p1: SLATarget(response: .minutes(15), resolution: .minutes(90)),
    .p2: SLATarget(response: .minutes(30), resolution: .minutes(160)),
    .p3: SLATarget(response: .minutes(240), resolution: .minutes(2 * 1440)),
    .p4: SLATarget(response: .minutes(1440), resolution: .minutes(5 * 1440)),
    .p5: SLATarget(response: .minutes(2 * 1440), resolution: .minutes(10 * 1440)),
  ])
}

/// The virtual war room opened for the most urgent incidents.
public struct WarRoomRule: Equatable, Sendable {
  public var priorities: [Priority] = [.p1]
  /// The incident channel; `{id}` is replaced by the incident id.
  public var channel = "#inc-{id}"
  public var roles = ["incident_commander", "communications_lead"]

  public init() {}

  public func channelName(for incidentID: String) -> String {
    channel.replacingOccurrences(of: "{id}", with: incidentID.lowercased())
  }
}

/// Everything that decides how an incident escalates and how its SLA clocks run: the part of
/// the policy that is pinned to an incident when it is first seen.
public struct EscalationRules: Equatable, Sendable {
  /// Policies in the order the file gives them.
  public var policies: [EscalationPolicy]
  public var routes: [EscalationRoute]
  public var calendars: [BusinessCalendar] = []
  public var warRoom = WarRoomRule()
  public var sla = SLARules.defaults

  public init(policies: [EscalationPolicy], routes: [EscalationRoute]) {
    self.policies = policies
    self.routes = routes
  }

  public func policy(named name: String) -> EscalationPolicy? { policies.first { $0.name == name } }

  public func calendar(named name: String) -> BusinessCalendar? { calendars.first { $0.name == name } }

  /// The policy for an incident at a time, by the first matching route.
  public func route(
    priority: Priority, service: String, tier: ServiceTier?, region: String?, at time: Timestamp
  ) -> EscalationPolicy? {
    for route in routes {
      if !route.priorities.isEmpty && !route.priorities.contains(priority) { continue }
      if !route.services.isEmpty && !route.services.contains(service) { continue }
      if !route.tiers.isEmpty && !(tier.map(route.tiers.contains) ?? false) { continue }
      if !route.regions.isEmpty
        && !(region.map { r in route.regions.contains { $0.lowercased() == r.lowercased() } } ?? false)
      {
        continue
      }
      if let name = route.calendar, !(calendar(named: name)?.contains(time) ?? false) { continue }
      return policy(named: route.policy)
    }
    return nil
  }

  /// The defaults: the more urgent the incident, the sooner it escalates. P1 reaches level 2
  /// after 5 minutes unacknowledged and level 3 after 15; P4 and P5 wait hours.
  public static let defaults: EscalationRules = {
    func level(_ targets: [String], _ delay: Int64, repeats: Int = 0) -> EscalationLevel {
      EscalationLevel(
        targets: targets.map { try! EscalationTarget.parse($0).get() }, delay: .minutes(delay), repeats: repeats)
    }
    let policies = [
      EscalationPolicy(
        name: "critical",
        levels: [
          level(["schedule:primary-oncall"], 5),
          level(["schedule:secondary-oncall", "person:duty-manager"], 10),
          level(["person:head-of-operations"], 15, repeats: 2),
        ], ackTimeout: .minutes(30)),
      EscalationPolicy(
        name: "high",
        levels: [
          level(["schedule:primary-oncall"], 15),
          level(["schedule:secondary-oncall", "person:duty-manager"], 30),
          level(["person:head-of-operations"], 60, repeats: 1),
        ], ackTimeout: .minutes(60)),
      EscalationPolicy(
        name: "standard",
        levels: [
          level(["schedule:primary-oncall"], 60),
          level(["schedule:secondary-oncall"], 180),
          level(["person:duty-manager"], 240),
        ], ackTimeout: .minutes(240)),
      EscalationPolicy(
        name: "low",
        levels: [
          level(["team:service-desk"], 240),
          level(["schedule:primary-oncall"], 480),
        ], ackTimeout: .minutes(1440)),
    ]
    var routes: [EscalationRoute] = []
    for (priorities, name) in [([Priority.p1], "critical"), ([.p2], "high"), ([.p3], "standard"), ([.p4, .p5], "low")] {
      var route = EscalationRoute(policy: name)
      route.priorities = priorities
      routes.append(route)
    }
    return EscalationRules(policies: policies, routes: routes)
  }()
}

extension DurationValue {
  public static func minutes(_ n: Int64) -> DurationValue { DurationValue(seconds: n * 60) }

  /// The shortest exact text for this duration that `parse` reads back: `90m`, `2h`, `1d12h`.
  public var compactText: String {
    if seconds == 0 { return "0s" }
    var rest = seconds
    var text = ""
    for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] where rest >= size {
      text += "\(rest / size)\(unit)"
      rest %= size
    }
    return text
  }
}
