import Foundation

/// Renders the health report as HTML (self-contained: inline CSS and SVG) or Markdown.
extension HealthReport {
  private static let priorityColors: [Priority: String] = [
    .p1: "#c0392b", .p2: "#e67e22", .p3: "#d4ac0d", .p4: "#2e86c1", .p5: "#95a5a6",
  ]

  static func escape(_ text: String) -> String {
    var out = ""
    for ch in text {
      switch ch {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      case "\"": out += "&quot;"
      case "'": out += "&#39;"
      default: out.append(ch)
      }
    }
    return out
  }

  static func format(_ value: Double?, unit: String) -> String {
    guard let value else { return "–" }
    switch unit {
    case "min": return DurationValue(seconds: Int64((value * 60).rounded())).description
    case "%": return String(format: "%.1f %%", value)
    case "h": return String(format: "%.1f h", value)
    case "": return String(Int(value.rounded()))
    default: return String(format: "%.0f %@", value, unit)
    }
  }

  /// "▲ 12.5 %" and whether the change is good news; nil when there is nothing to compare.
  static func change(_ kpi: KPI) -> (text: String, good: Bool)? {
    guard let now = kpi.now, let before = kpi.before else { return nil }
    if kpi.unit == "%" {
      let d = now - before
      if abs(d) < 0.05 { return ("= 0.0 pt", true) }
      return ("\(d > 0 ? "▲" : "▼") \(String(format: "%.1f", abs(d))) pt", (d > 0) != kpi.lowerIsBetter)
    }
    guard before != 0 else { return nil }
    let d = (now - before) / before * 100
    if abs(d) < 0.05 { return ("= 0.0 %", true) }
    return ("\(d > 0 ? "▲" : "▼") \(String(format: "%.1f", abs(d))) %", (d > 0) != kpi.lowerIsBetter)
  }

  /// The sections as rows of text, shared by both renderers.
  struct Tables {
    var sla: [[String]] = []
    var okr: [[String]] = []
    var slo: [[String]] = []
    var lost: [[String]] = []
    var repeats: [[String]] = []
  }

  func tables() -> Tables {
    var t = Tables()
    for r in sla.records() {
      guard case .object(let g)? = r["group"], case .string(let p)? = g["priority"] else { continue }
      func pct(_ key: String) -> String {
        HealthReport.number(r[key]).map { String(format: "%.1f %%", $0 * 100) } ?? "–"
      }
      t.sla.append([
        p, pct("response_attainment"), pct("resolution_attainment"),
        String(Int(HealthReport.number(r["ever_breached"]) ?? 0)),
      ])
    }
    for r in okr.records() {
      guard case .string(let name)? = r["name"] else { continue }
      let actual = HealthReport.number(r["actual"]).map { String(format: "%.1f %%", $0 * 100) } ?? "no data"
      let target = HealthReport.number(r["target"]).map { String(format: "%.0f %%", $0 * 100) } ?? ""
      let met: String
      switch r["met"] {
      case .bool(true)?: met = "met"
      case .bool(false)?: met = "missed"
      default: met = "–"
      }
      t.okr.append([name, actual, target, met])
    }
    for r in slo.records() {
      guard case .string(let service)? = r["service"], case .string(let tier)? = r["tier"],
        tier == "vital" || tier == "critical"
      else { continue }
      let target = HealthReport.number(r["target"]).map { String(format: "%.2f %%", $0 * 100) } ?? ""
      let availability = HealthReport.number(r["availability"]).map { String(format: "%.3f %%", $0 * 100) } ?? ""
      let left = HealthReport.number(r["budget_remaining_ratio"]).map { String(format: "%.0f %%", $0 * 100) } ?? ""
      var alert = ""
      if case .string(let a)? = r["alert"] { alert = a }
      t.slo.append([service, tier, target, availability, left, alert])
    }
    for r in impact.records(currency: policy.currency).prefix(5) {
      guard case .object(let g)? = r["group"], case .string(let service)? = g["service"] else { continue }
      t.lost.append([
        service, String(Int(HealthReport.number(r["incidents"]) ?? 0)),
        String(format: "%.1f", HealthReport.number(r["productivity_loss_hours"]) ?? 0),
        String(format: "%.0f %@", HealthReport.number(r["financial_impact"]) ?? 0, policy.currency),
      ])
    }
    for r in repeats.records(currency: policy.currency).prefix(5) {
      guard case .string(let service)? = r["service"], case .string(let cause)? = r["root_cause"] else { continue }
      t.repeats.append([
        service, cause, String(Int(HealthReport.number(r["repeats"]) ?? 0)),
        String(format: "%.1f", HealthReport.number(r["productivity_loss_hours"]) ?? 0),
      ])
    }
    return t
  }

  // MARK: SVG

  func incidentsChart(_ weeks: [(week: String, counts: [Priority: Int], mtta: Double?, mttr: Double?)]) -> String {
    let width = 680.0
    let height = 240.0
    let left = 40.0
    let bottom = 40.0
    let top = 24.0
    let plotW = width - left - 10
    let plotH = height - bottom - top
    let maxTotal = max(1, weeks.map { $0.counts.values.reduce(0, +) }.max() ?? 1)
    let slot = plotW / Double(max(weeks.count, 1))
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"Incidents per week by priority\">"
    svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - 10)\" y2=\"\(top + plotH)\" stroke=\"#888\"/>"
    svg += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" text-anchor=\"end\" font-size=\"11\">\(maxTotal)</text>"
    svg += "<text x=\"\(left - 6)\" y=\"\(top + plotH)\" text-anchor=\"end\" font-size=\"11\">0</text>"
    for (i, week) in weeks.enumerated() {
      var y = top + plotH
      let x = left + Double(i) * slot + slot * 0.15
      for p in Priority.allCases {
        let n = week.counts[p] ?? 0
        guard n > 0 else { continue }
        let h = plotH * Double(n) / Double(maxTotal)
        y -= h
        svg += String(
          format:
            "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%@\"><title>%@ %@: %d</title></rect>",
          x, y, slot * 0.7, h, HealthReport.priorityColors[p]!, week.week, p.description, n)
      }
      svg += String(
        format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%@</text>", x + slot * 0.35,
        top + plotH + 14, String(week.week.suffix(3)))
    }
    for (i, p) in Priority.allCases.enumerated() {
      let x = left + Double(i) * 70
      svg +=
        "<rect x=\"\(x)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"\(HealthReport.priorityColors[p]!)\"/>"
      svg += "<text x=\"\(x + 14)\" y=\"\(height - 5)\" font-size=\"11\">\(p)</text>"
    }
    return svg + "</svg>"
  }

  func timesChart(_ weeks: [(week: String, counts: [Priority: Int], mtta: Double?, mttr: Double?)]) -> String {
    let width = 680.0
    let height = 220.0
    let left = 50.0
    let top = 20.0
    let plotW = width - left - 10
    let plotH = height - top - 40
    let hours = weeks.flatMap { [$0.mtta, $0.mttr] }.compactMap { $0 }.map { $0 / 60 }
    let maxHours = max(hours.max() ?? 1, 0.1)
    let step = plotW / Double(max(weeks.count - 1, 1))
    func line(_ values: [Double?], color: String) -> String {
      var points: [String] = []
      for (i, v) in values.enumerated() {
        guard let v else { continue }
        points.append(String(format: "%.1f,%.1f", left + Double(i) * step, top + plotH - plotH * (v / 60) / maxHours))
      }
      guard !points.isEmpty else { return "" }
      let dots = points.map { p -> String in
        let xy = p.split(separator: ",")
        return "<circle cx=\"\(xy[0])\" cy=\"\(xy[1])\" r=\"3\" fill=\"\(color)\"/>"
      }.joined()
      return
        "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\"/>"
        + dots
    }
    var svg =
      "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"MTTA and MTTR per week\">"
    svg += "<line x1=\"\(left)\" y1=\"\(top + plotH)\" x2=\"\(width - 10)\" y2=\"\(top + plotH)\" stroke=\"#888\"/>"
    svg += String(
      format: "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\" font-size=\"11\">%.1f h</text>", left - 6, top + 4,
      maxHours)
    svg += "<text x=\"\(left - 6)\" y=\"\(top + plotH)\" text-anchor=\"end\" font-size=\"11\">0</text>"
    svg += line(weeks.map(\.mttr), color: "#8e44ad") + line(weeks.map(\.mtta), color: "#16a085")
    for (i, week) in weeks.enumerated() {
      svg += String(
        format: "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%@</text>",
        left + Double(i) * step,
        top + plotH + 14, String(week.week.suffix(3)))
    }
    svg += "<rect x=\"\(left)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"#16a085\"/>"
    svg += "<text x=\"\(left + 14)\" y=\"\(height - 5)\" font-size=\"11\">MTTA</text>"
    svg += "<rect x=\"\(left + 70)\" y=\"\(height - 14)\" width=\"10\" height=\"10\" fill=\"#8e44ad\"/>"
    svg += "<text x=\"\(left + 84)\" y=\"\(height - 5)\" font-size=\"11\">MTTR (resolve)</text>"
    return svg + "</svg>"
  }

  // MARK: Documents

  private func htmlTable(_ header: [String], _ rows: [[String]], empty: String) -> String {
    guard !rows.isEmpty else { return "<p class=\"none\">\(HealthReport.escape(empty))</p>" }
    var out =
      "<table><thead><tr>" + header.map { "<th>\(HealthReport.escape($0))</th>" }.joined() + "</tr></thead><tbody>"
    for row in rows { out += "<tr>" + row.map { "<td>\(HealthReport.escape($0))</td>" }.joined() + "</tr>" }
    return out + "</tbody></table>"
  }

  public func html(generatedAt: Timestamp) -> String {
    let t = tables()
    let weeks = weeks()
    var kpiCells = ""
    for k in kpis() {
      let change = HealthReport.change(k)
      let badge =
        change.map { "<span class=\"\($0.good ? "good" : "bad")\">\(HealthReport.escape($0.text))</span>" }
        ?? "<span class=\"flat\">–</span>"
      kpiCells +=
        "<div class=\"kpi\"><div class=\"name\">\(HealthReport.escape(k.name))</div><div class=\"value\">\(HealthReport.escape(HealthReport.format(k.now, unit: k.unit)))</div><div class=\"delta\">\(badge) vs \(HealthReport.escape(HealthReport.format(k.before, unit: k.unit)))</div></div>"
    }
    var extra = ""
    for section in extraSections {
      extra +=
        "<h2>\(HealthReport.escape(section.title))</h2>"
        + htmlTable(section.header, section.rows, empty: "None.")
    }
    for section in absentSections {
      extra +=
        "<h2>\(HealthReport.escape(section.title))</h2><p class=\"none\">\(HealthReport.escape(section.note))</p>"
    }
    return """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <title>Production health \(HealthReport.escape(period.description))</title>
      <style>
      body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;max-width:960px;margin:24px auto;padding:0 16px}
      h1{font-size:24px;margin-bottom:4px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
      .sub{color:#666;margin-top:0}.kpis{display:grid;grid-template-columns:repeat(3,1fr);gap:12px}
      .kpi{border:1px solid #ddd;border-radius:8px;padding:10px 12px}.kpi .name{color:#666;font-size:13px}
      .kpi .value{font-size:22px;font-weight:600;margin:4px 0}.kpi .delta{font-size:12px;color:#666}
      .good{color:#1e8449;font-weight:600}.bad{color:#c0392b;font-weight:600}.flat{color:#888}
      table{border-collapse:collapse;width:100%;font-size:14px}th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #eee}
      th{background:#f6f6f6}.none{color:#888;font-style:italic}svg{width:100%;height:auto}
      </style></head><body>
      <h1>Production health: \(HealthReport.escape(period.description))</h1>
      <p class="sub">Compared with \(HealthReport.escape(period.previous.description)). Generated \(generatedAt.rfc3339) by itsm-report. MTTR is opened to first resolution.</p>
      <h2>Headline</h2><div class="kpis">\(kpiCells)</div>
      <h2>Incidents per week by priority</h2>\(weeks.isEmpty ? "<p class=\"none\">No incidents.</p>" : incidentsChart(weeks))
      <h2>Time to acknowledge and to resolve, per week</h2>\(weeks.isEmpty ? "<p class=\"none\">No incidents.</p>" : timesChart(weeks))
      <h2>SLA attainment</h2>\(htmlTable(["priority", "response met", "resolution met", "ever breached"], t.sla, empty: "No SLA clock completed in the period."))
      <h2>Key results</h2>\(htmlTable(["key result", "actual", "target", ""], t.okr, empty: "No key results in the policy."))
      <h2>Availability of vital and critical services</h2>\(htmlTable(["service", "tier", "objective", "availability", "budget left", "alert"], t.slo, empty: "No vital or critical services in the catalog."))
      <h2>Where the hours were lost</h2>\(htmlTable(["service", "incidents", "lost user-hours", "cost"], t.lost, empty: "No lost hours recorded."))
      <h2>What keeps coming back</h2>\(htmlTable(["service", "root cause", "repeats", "lost user-hours"], t.repeats, empty: "No repeat incidents."))
      \(extra)
      </body></html>

      """
  }

  private func markdownTable(_ header: [String], _ rows: [[String]], empty: String) -> String {
    guard !rows.isEmpty else { return "_\(empty)_\n" }
    func cell(_ s: String) -> String { s.replacingOccurrences(of: "|", with: "\\|") }
    var out = "| " + header.map(cell).joined(separator: " | ") + " |\n"
    out += "|" + String(repeating: "---|", count: header.count) + "\n"
    for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
    return out
  }

  public func markdown(generatedAt: Timestamp) -> String {
    let t = tables()
    let weeks = weeks()
    var out = "# Production health: \(period)\n\n"
    out +=
      "Compared with \(period.previous). Generated \(generatedAt.rfc3339) by itsm-report. MTTR is opened to first resolution.\n\n"
    out += "## Headline\n\n"
    out += markdownTable(
      ["measure", period.description, period.previous.description, "change"],
      kpis().map { k in
        [
          k.name, HealthReport.format(k.now, unit: k.unit), HealthReport.format(k.before, unit: k.unit),
          HealthReport.change(k).map { $0.text + ($0.good ? " (better)" : " (worse)") } ?? "–",
        ]
      }, empty: "")
    out += "\n## Incidents per week\n\n"
    out += markdownTable(
      ["week"] + Priority.allCases.map(\.description) + ["MTTA", "MTTR"],
      weeks.map { w in
        [w.week] + Priority.allCases.map { String(w.counts[$0] ?? 0) } + [
          HealthReport.format(w.mtta, unit: "min"), HealthReport.format(w.mttr, unit: "min"),
        ]
      }, empty: "No incidents.")
    out += "\n## SLA attainment\n\n"
    out += markdownTable(
      ["priority", "response met", "resolution met", "ever breached"], t.sla,
      empty: "No SLA clock completed in the period.")
    out +=
      "\n## Key results\n\n" + markdownTable(["key result", "actual", "target", ""], t.okr, empty: "No key results.")
    out += "\n## Availability of vital and critical services\n\n"
    out += markdownTable(
      ["service", "tier", "objective", "availability", "budget left", "alert"], t.slo,
      empty: "No vital or critical services in the catalog.")
    out += "\n## Where the hours were lost\n\n"
    out += markdownTable(["service", "incidents", "lost user-hours", "cost"], t.lost, empty: "No lost hours recorded.")
    out += "\n## What keeps coming back\n\n"
    out += markdownTable(
      ["service", "root cause", "repeats", "lost user-hours"], t.repeats, empty: "No repeat incidents.")
    for section in extraSections {
      out += "\n## \(section.title)\n\n" + markdownTable(section.header, section.rows, empty: "None.")
    }
    for section in absentSections {
      out += "\n## \(section.title)\n\n_\(section.note)_\n"
    }
    return out
  }
}
