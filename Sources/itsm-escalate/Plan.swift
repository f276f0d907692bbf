import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMEscalate {
  struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Show what will fire when, and every SLA deadline of the open incidents.",
      discussion: """
        For each open incident, one 'sla' record (its policy, level, and each clock's state and deadline; a clock on hold has none), then 'plan' records for each step that will happen within the window if nothing changes (nobody acknowledges, nothing is resolved), oldest first. A step already due shows as overdue: the next tick will do it. Changes nothing.

        Examples:
          itsm-escalate plan --within 2h --format table
          itsm-escalate plan --within 1d | jq -c 'select(.kind=="plan" and .action=="escalated")'
        """)

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("How far ahead to look, such as 30m, 2h, 1d.", valueName: "duration"))
    var within: String = "2h"

    func run() throws {
      try CommandRunner.run(tool: ITSMEscalate.toolName) {
        let session = try CommandSession(global, tool: ITSMEscalate.toolName, views: Views.all)
        let horizon: Timestamp
        do {
          horizon = session.now + (try DurationValue.parse(within))
        } catch let error as ITSMError {
          throw ITSMError.usage("--within: \(error.messages.joined())")
        }
        var slas: [JSONObject] = []
        var steps: [(Timestamp, Int, JSONObject)] = []
        try global.openDatabaseForReading().read { db in
          let store = EscalationStore(
            db, policy: session.policy, context: session.context(source: "plan"), readOnly: true)
          try store.forEachOpenSubject { subject in
            let plan = try store.plan(subject, now: session.now, horizon: horizon)
            slas.append(plan.sla)
            for step in plan.steps { steps.append((step.at, steps.count, step.record)) }
          }
        }
        for record in slas { try session.printer.print(record) }
        for (_, _, record) in steps.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) { try session.printer.print(record) }
        try session.printer.finish()
      }
    }
  }
}
