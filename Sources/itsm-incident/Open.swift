import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMIncident {
  struct Open: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Open an incident.",
      discussion: """
        The priority comes from impact and urgency through the policy's matrix (impact 1 and urgency 2 make P2 by default); --priority overrides it, and both stay visible.

        Example:
          itsm-incident open --title "Mail delivery delayed" --service mail --impact 1 --urgency 2 \\
            --team messaging --users-affected 400 --tag region=emea
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption

    @Option(help: "A one-line summary.") var title: String
    @Option(help: "The affected service (a name from the service catalog).") var service: String
    @Option(help: "Impact, 1 (high) to 3 (low).") var impact: Int?
    @Option(help: "Urgency, 1 (high) to 3 (low).") var urgency: Int?
    @Option(help: "Set the priority by hand (P1..P5), overriding the matrix.") var priority: String?
    @Option(help: "The team that owns the incident.") var team: String?
    @Option(help: "The person working on it.") var assignee: String?
    @Option(help: "The support tier holding it: L0, L1, L2 or L3.") var tier: SupportTier?
    @Option(help: "The region, for routing and reports.") var region: String?
    @Option(help: "The business impact: \(ImpactType.allCases.map(\.rawValue).joined(separator: ", ")).")
    var impactType: ImpactType?
    @Option(help: "How many users are affected.") var usersAffected: Int?
    @Option(help: "How it was detected: \(DetectionSource.allCases.map(\.rawValue).joined(separator: ", ")).")
    var detection: DetectionSource?
    @Option(parsing: .unconditional, help: "When the impact began, if earlier than now.") var startedAt: String?
    @Option(help: "The alert de-duplication key.") var dedupKey: String?
    @Option(help: "The failure mode (itsm-fmea) this is an occurrence of.") var failureMode: String?
    @Option(help: ArgumentHelp("A tag, key=value; repeat for more.", valueName: "key=value")) var tag: [String] = []

    func validate() throws {
      for (name, value) in [("--impact", impact), ("--urgency", urgency)] {
        if let value, !(1...3).contains(value) { throw ValidationError("'\(name)' must be 1, 2 or 3 (got \(value))") }
      }
      if (impact == nil) != (urgency == nil) { throw ValidationError("'--impact' and '--urgency' go together") }
      if impact == nil && priority == nil { throw ValidationError("give '--impact' and '--urgency', or '--priority'") }
      if let priority, Priority(parsing: priority) == nil {
        throw ValidationError("'--priority' must be P1..P5 (got '\(priority)')")
      }
      if let usersAffected, usersAffected < 0 { throw ValidationError("'--users-affected' must be 0 or more") }
      if title.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("'--title' must not be empty") }
      if service.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("'--service' must not be empty") }
      for t in tag where !t.contains("=") { throw ValidationError("'--tag \(t)': expected key=value") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMIncident.toolName) {
        let session = try CommandSession(global, tool: ITSMIncident.toolName, views: Views.all)
        var incident = try draft(session)
        try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            let store = IncidentStore(db, policy: session.policy)
            if let key = dedupKey, let holder = try store.openIncident(dedupKey: key) {
              throw ITSMError.operationFailed(
                "\(holder.id) is open with dedup key '\(key)'; send the alert with 'itsm-incident alert' to join it")
            }
            incident.id = try store.nextID()
            try store.insert(
              &incident, events: [EventDraft(type: "opened", at: session.now)], context: session.context(source: "cli"))
            // The incident keeps the escalation policy in force now, whatever the file says later.
            try EscalationStore(db, policy: session.policy, context: session.context(source: "cli"))
              .bind(incident, now: session.now)
          }
        }
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.print(incident.record(policy: session.policy))
        try session.printer.finish()
      }
    }

    private func draft(_ session: CommandSession) throws -> Incident {
      let manual = priority.flatMap(Priority.init(parsing:))
      var incident = Incident(
        id: "", title: title, service: service, priority: manual ?? .p3,
        prioritySource: manual == nil ? .matrix : .manual, openedAt: session.now)
      incident.setImpact(impact, urgency: urgency, matrix: session.policy.priorityMatrix)
      incident.team = team
      incident.assignee = assignee
      incident.tier = tier
      incident.region = region
      incident.impactType = impactType
      incident.usersAffected = usersAffected
      incident.detection = detection
      incident.dedupKey = dedupKey
      incident.failureMode = failureMode
      incident.startedAt = try parseTimeFlag(startedAt, flag: "--started-at", now: session.now)
      if let started = incident.startedAt, started > session.now {
        throw ITSMError.usage("--started-at (\(started)) is after the incident opens (\(session.now))")
      }
      for t in tag {
        let parts = t.split(separator: "=", maxSplits: 1).map(String.init)
        incident.tags[parts[0]] = parts.count > 1 ? parts[1] : ""
      }
      return incident
    }
  }
}
