import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMEscalate {
  struct Tick: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Do what is due now: pages, escalations, re-notifications, SLA events, war rooms.",
      discussion: """
        Records escalation events (paged, escalated, renotified, war_room_opened) and SLA events (sla_warning, sla_breach, sla_met) on the incidents' timelines, puts one notification per target in the outbox, and prints the notifications it queued (kind 'notification').

        Every step is timed from the schedule, not from when the tick runs: a tick that comes late (cron was down) does what the punctual ones would have done, and a second tick at the same time does nothing. Ticks run in one transaction each: a tick that is killed leaves nothing behind, and the next one does the work.

        With --stdin (or --input FILE) it reads incident records instead, as if none had been seen before, prints the notifications it would queue, and touches no database. Time on hold is then known only for incidents on hold now (since their updated_at).

        Exit status: 0, or 3 with --check when an open incident's SLA clock is past its target.

        Examples:
          itsm-escalate tick -q
          itsm-escalate tick --now 2026-11-02T09:15:00Z --dry-run --format table
          itsm-incident list --open | itsm-escalate tick --stdin --check
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption

    @Flag(help: "Exit 3 when an open incident has breached an SLA.")
    var check = false

    @Flag(help: "Read incident records from stdin and print what would be done, touching no database.")
    var stdin = false

    @Option(
      name: .shortAndLong,
      help: ArgumentHelp("Like --stdin, from this file.", valueName: "file"))
    var input: String?

    func validate() throws {
      if stdin && input != nil { throw ValidationError("give '--stdin' or '--input', not both") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMEscalate.toolName) {
        let session = try CommandSession(global, tool: ITSMEscalate.toolName, views: Views.all)
        let breached: Int
        if stdin || input != nil {
          breached = try fromRecords(input ?? "-", session)
        } else {
          breached = try runTick(session, dryRun: dryRun.dryRun).breachedNow
        }
        try session.printer.finish()
        if check && breached > 0 {
          Messages.writeError("\(ITSMEscalate.toolName): \(breached) open incidents have breached an SLA")
          throw ExitCode(3)
        }
      }
    }

    /// Evaluates incident records from a file or stdin, all-or-nothing: nothing is printed
    /// when a line is bad (exit 65).
    private func fromRecords(_ path: String, _ session: CommandSession) throws -> Int {
      let reader = try LineReader(path: path)
      let decoder = IncidentDecoder(policy: session.policy, now: session.now)
      let engine = EscalationEngine(rules: session.policy.escalation, services: session.policy.services)
      let version = try session.policy.escalation.pinned().version
      let now = session.now
      var queued: [NotificationDraft] = []
      var breached = 0
      var seen = Set<String>()
      _ = try RecordStream().run(
        reader,
        decode: { object in try decoder.decode(object).incident },
        apply: { incident, _ in
          let subject = EscalationSubject(incident)
          var state = EscalationState(versionNum: 0, version: version, seenUpdatedAt: subject.updatedAt)
          if incident.status == .onHold { state.heldSince = incident.updatedAt }
          let outcome = engine.evaluate(subject, state, now: now)
          for n in outcome.notifications where seen.insert(n.id).inserted { queued.append(n) }
          if subject.status.isOpen && (outcome.state.response == .breached || outcome.state.resolution == .breached) {
            breached += 1
          }
        },
        onReject: { _, _, _ in })
      for notification in queued { try session.printer.print(notification.record) }
      return breached
    }
  }
}
