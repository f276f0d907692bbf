import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

extension ITSMReport {
  struct Health: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The monthly or quarterly production health report, as one HTML file or Markdown.",
      discussion: """
        For senior management: headline KPIs (incidents, MTTA, MTTR, resolution SLA met, lost user-hours and their cost) with trend arrows against the previous period; incidents per week by priority and the MTTA/MTTR trend (inline SVG charts); SLA attainment per priority; the policy's key results; availability and error budget of every vital and critical service at the end of the period; the services that lost the most hours; repeat incidents; the top ten open FMEA risks in remediation order (Action Priority, then RPN weighted by the service tier and by the cost of their incidents in the period; 'itsm-fmea risk' weighs a year), or their absence; and license savings once itsm-license keeps data (reported as absent until then).

        --format html writes one self-contained file (no external assets: inline CSS and SVG); --format markdown writes Markdown. Without --format: HTML when --output ends in .html, else Markdown. --output writes the file whole or not at all (a temporary file renamed into place).

        Examples:
          itsm-report health --month 2026-10 --format html --output health-2026-10.html
          itsm-report health --quarter 2026Q4 --format markdown
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("A month, such as 2026-10.", valueName: "month"))
    var month: String?

    @Option(help: ArgumentHelp("A quarter, such as 2026Q4.", valueName: "quarter"))
    var quarter: String?

    @Option(
      name: .shortAndLong, help: ArgumentHelp("Write the report to this file instead of stdout.", valueName: "file"))
    var output: String?

    func validate() throws {
      guard (month == nil) != (quarter == nil) else { throw ValidationError("give one of '--month' or '--quarter'") }
      if let month, month.count != 7 || ReportPeriod(parsing: month) == nil {
        throw ValidationError("'--month' takes a month such as 2026-10, not '\(month)'")
      }
      if let quarter, !quarter.uppercased().contains("Q") || ReportPeriod(parsing: quarter) == nil {
        throw ValidationError("'--quarter' takes a quarter such as 2026Q4, not '\(quarter)'")
      }
      if ![.auto, .html, .markdown].contains(global.format) {
        throw ValidationError("'itsm-report health' writes html or markdown")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMReport.toolName) {
        let session = try CommandSession(global, tool: ITSMReport.toolName, documents: [.html])
        let period = ReportPeriod(parsing: month ?? quarter ?? "")!
        var report = HealthReport(period: period, policy: session.policy, now: session.now)
        let database = try global.openDatabaseForReading()
        try database.read { db in
          let store = IncidentStore(db, policy: session.policy)
          try store.forEachFacts(
            since: report.factsSince, resolvedSince: period.previous.start, until: period.end, firstHumanAction: false,
            database: database, environment: global.environment
          ) { report.add($0) }
          try store.forEachImpactInterval(since: report.sloSince, until: min(period.end, session.now)) {
            report.add($0)
          }
          // The register as it stands now (scores have no history by date here), weighted by
          // the cost of its incidents in the period.
          let register = FMEAStore(db, database: database)
          let modes = try register.all().filter { $0.status.isActive }
          if modes.isEmpty {
            report.absentSections.append(("Top FMEA risks", "Absent: no open failure modes registered (itsm-fmea)."))
          } else {
            let end = min(period.end, session.now)
            let risks = try register.risks(
              modes: modes, policy: session.policy, since: period.start, until: end,
              environment: global.environment)
            report.addRisks(Array(risks.prefix(10)), currency: session.policy.currency)
          }
          report.absentSections.append(("License savings", "Absent: no data in this database yet."))
        }
        let html =
          global.format == .html || (global.format == .auto && (output?.lowercased().hasSuffix(".html") ?? false))
        let text = html ? report.html(generatedAt: session.now) : report.markdown(generatedAt: session.now)
        if let output {
          try writeWhole(text, to: output)
          session.messages.info("wrote \(output)")
        } else {
          let out = StandardOutput()
          try out.append(text)
          try out.flush()
        }
      }
    }

    /// Writes to a temporary file beside the target and renames it into place.
    private func writeWhole(_ text: String, to path: String) throws {
      let temporary = path + ".tmp-\(getpid())"
      guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
        throw ITSMError.io("cannot write \(path)")
      }
      guard rename(temporary, path) == 0 else {
        unlink(temporary)
        throw ITSMError.io("cannot write \(path): \(String(cString: strerror(errno)))")
      }
    }
  }
}
