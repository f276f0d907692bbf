import Foundation

/// The daily digest: what opened, what was resolved, what is still open and urgent, which
/// SLAs broke and where the trouble was, for one UTC day beside the day before.
public struct DailySummary {
  public let day: Timestamp
  public let now: Timestamp
  public let rules: SLARules
  private var today = DayTotals()
  private var yesterday = DayTotals()
  private var breaches: [(id: String, priority: Priority, clock: SLAClock)] = []
  private var openUrgent: [OpenIncident] = []

  /// An open P1 or P2 as the digest lists it.
  public struct OpenIncident: Sendable {
    public var id: String
    public var priority: Priority
    public var service: String
    public var title: String
    public var status: IncidentStatus
    public var openedAt: Timestamp
    public var owner: String?

    public init(_ incident: Incident) {
      id = incident.id
      priority = incident.priority
      service = incident.service
      title = incident.title
      status = incident.status
      openedAt = incident.openedAt
      owner = incident.assignee ?? incident.team
    }
  }

  struct DayTotals {
    var opened = 0
    var byPriority: [Priority: Int] = [:]
    var resolved = 0
    var lossMinutes = 0.0
    var cost = 0.0
    var services: [String: (incidents: Int, minutes: Double)] = [:]
  }

  /// `day` is the start (midnight UTC) of the day to report.
  public init(day: Timestamp, now: Timestamp, rules: SLARules) {
    self.day = day
    self.now = now
    self.rules = rules
  }

  private var dayEnd: Timestamp { day + DurationValue(seconds: 86_400) }
  private var dayBefore: Timestamp { Timestamp(seconds: day.seconds - 86_400) }

  public mutating func add(_ f: IncidentFacts) {
    for (start, isToday) in [(day, true), (dayBefore, false)] {
      let end = start + DurationValue(seconds: 86_400)
      var totals = isToday ? today : yesterday
      if f.openedAt >= start && f.openedAt < end {
        totals.opened += 1
        totals.byPriority[f.priority, default: 0] += 1
        totals.lossMinutes += f.productivityLossMinutes ?? 0
        totals.cost += f.financialImpact ?? 0
        totals.services[f.service, default: (0, 0)].incidents += 1
        totals.services[f.service, default: (0, 0)].minutes += f.productivityLossMinutes ?? 0
      }
      if let resolved = f.firstResolvedAt, resolved >= start && resolved < end { totals.resolved += 1 }
      if isToday { today = totals } else { yesterday = totals }
    }
    // The clocks that passed their target during the day (stopped late, or still running).
    if let target = rules.targets[f.priority], let id = f.id, f.status != .canceled || f.acknowledgedAt != nil {
      for clock in SLAClock.allCases {
        let breachAt = rules.breachAt(clock, openedAt: f.openedAt, target: target, heldSeconds: f.heldSeconds)
        guard breachAt >= day && breachAt < dayEnd && breachAt <= now else { continue }
        if let stop = clock.stop(acknowledgedAt: f.acknowledgedAt, firstResolvedAt: f.firstResolvedAt) {
          if stop > breachAt { breaches.append((id, f.priority, clock)) }
        } else if (f.status?.isOpen ?? true) && !rules.isPaused(clock, heldSince: f.heldSince) {
          breaches.append((id, f.priority, clock))
        }
      }
    }
  }

  /// Adds an open incident; P1 and P2 are listed.
  public mutating func addOpen(_ incident: Incident) {
    guard incident.status.isOpen, incident.priority <= .p2, incident.openedAt < dayEnd else { return }
    openUrgent.append(OpenIncident(incident))
  }

  /// The digest as one record of kind `summary` (report `daily`).
  public func record(currency: String) -> JSONObject {
    var o = JSONObject()
    o.add("kind", .string("summary"))
    o.add("report", .string("daily"))
    o.add("day", .string(String(day.rfc3339.prefix(10))))
    o.add("opened", .int(Int64(today.opened)))
    o.add(
      "opened_by_priority",
      .object(
        JSONObject(
          Priority.allCases.compactMap { p in today.byPriority[p].map { JSONField(p.description, .int(Int64($0))) } })))
    o.add("resolved", .int(Int64(today.resolved)))
    o.add("productivity_loss_hours", .double(round(today.lossMinutes / 60, 1)))
    o.add("financial_impact", .double(round(today.cost, 2)))
    o.add("currency", .string(currency))
    var before = JSONObject()
    before.add("opened", .int(Int64(yesterday.opened)))
    before.add("resolved", .int(Int64(yesterday.resolved)))
    before.add("productivity_loss_hours", .double(round(yesterday.lossMinutes / 60, 1)))
    before.add("financial_impact", .double(round(yesterday.cost, 2)))
    o.add("previous_day", .object(before))
    let open = openUrgent.sorted { ($0.priority, $0.openedAt, $0.id) < ($1.priority, $1.openedAt, $1.id) }
    o.add(
      "open_urgent",
      .array(
        open.map { i in
          var e = JSONObject()
          e.add("id", .string(i.id))
          e.add("priority", .string(i.priority.description))
          e.add("service", .string(i.service))
          e.add("title", .string(i.title))
          e.add("status", .string(i.status.rawValue))
          e.add("age_min", .double(round(max(0, now.minutes(since: i.openedAt)), 1)))
          e.add("owner", i.owner.map { .string($0) })
          return .object(e)
        }))
    o.add(
      "sla_breaches",
      .array(
        breaches.sorted { ($0.priority, $0.id, $0.clock.rawValue) < ($1.priority, $1.id, $1.clock.rawValue) }.map { b in
          .object(
            JSONObject([
              JSONField("id", .string(b.id)), JSONField("priority", .string(b.priority.description)),
              JSONField("clock", .string(b.clock.rawValue)),
            ]))
        }))
    let hot = today.services.sorted {
      ($0.value.incidents, $0.value.minutes, $1.key) > ($1.value.incidents, $1.value.minutes, $0.key)
    }.prefix(3)
    o.add(
      "hot_spots",
      .array(
        hot.map { service, totals in
          .object(
            JSONObject([
              JSONField("service", .string(service)), JSONField("incidents", .int(Int64(totals.incidents))),
              JSONField("productivity_loss_hours", .double(round(totals.minutes / 60, 1))),
            ]))
        }))
    return o
  }

  /// The digest as Markdown that pastes well into a chat.
  public func markdown(currency: String) -> String {
    let r = record(currency: currency)
    func int(_ v: JSONValue?) -> Int { if case .int(let n)? = v { return Int(n) } else { return 0 } }
    func num(_ v: JSONValue?) -> Double {
      switch v {
      case .double(let d)?: return d
      case .int(let n)?: return Double(n)
      default: return 0
      }
    }
    func delta(_ a: Double, _ b: Double) -> String {
      let d = a - b
      let text = d == d.rounded() ? String(Int(d)) : String(format: "%.1f", d)
      return d > 0 ? "+" + text : (d == 0 ? "±0" : text)
    }
    guard case .object(let before)? = r["previous_day"] else { return "" }
    var lines: [String] = []
    let dayText = String(day.rfc3339.prefix(10))
    lines.append("**Incident summary for \(dayText)** (UTC)")
    lines.append("")
    var split: [String] = []
    if case .object(let byPriority)? = r["opened_by_priority"] {
      split = byPriority.fields.map { "\($0.key) \(int($0.value))" }
    }
    lines.append(
      "- Opened: \(int(r["opened"]))" + (split.isEmpty ? "" : " (\(split.joined(separator: ", ")))")
        + ", day before \(int(before["opened"])) (\(delta(num(r["opened"]), num(before["opened"]))))")
    lines.append(
      "- Resolved: \(int(r["resolved"])), day before \(int(before["resolved"])) (\(delta(num(r["resolved"]), num(before["resolved"]))))"
    )
    lines.append(
      "- Lost: \(num(r["productivity_loss_hours"])) user-hours, \(currency) \(Int(num(r["financial_impact"]).rounded()))"
        + ", day before \(num(before["productivity_loss_hours"])) h (\(delta(num(r["productivity_loss_hours"]), num(before["productivity_loss_hours"]))) h)"
    )
    if case .array(let open)? = r["open_urgent"] {
      lines.append("")
      lines.append("**Still open P1/P2** (\(open.count))")
      if !open.isEmpty {
        lines.append("")
        lines.append("| id | pri | service | title | age | owner |")
        lines.append("|---|---|---|---|---|---|")
        for case .object(let e) in open {
          func text(_ key: String) -> String {
            if case .string(let s)? = e[key] { return s.replacingOccurrences(of: "|", with: "\\|") }
            return "-"
          }
          let age = DurationValue(seconds: Int64(num(e["age_min"]) * 60)).description
          lines.append(
            "| \(text("id")) | \(text("priority")) | \(text("service")) | \(text("title")) | \(age) | \(text("owner")) |"
          )
        }
      }
    }
    if case .array(let list)? = r["sla_breaches"] {
      let items = list.compactMap { v -> String? in
        guard case .object(let b) = v, case .string(let id)? = b["id"], case .string(let p)? = b["priority"],
          case .string(let c)? = b["clock"]
        else { return nil }
        return "\(id) (\(p) \(c))"
      }
      lines.append("")
      lines.append("**SLA breaches** (\(items.count))" + (items.isEmpty ? "" : ": " + items.joined(separator: ", ")))
    }
    if case .array(let spots)? = r["hot_spots"], !spots.isEmpty {
      let items = spots.compactMap { v -> String? in
        guard case .object(let h) = v, case .string(let s)? = h["service"] else { return nil }
        return "\(s) (\(int(h["incidents"])) incidents, \(num(h["productivity_loss_hours"])) h lost)"
      }
      lines.append("")
      lines.append("**Hot spots**: " + items.joined(separator: ", "))
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
