import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMEscalate: ITSMTool {
  static let toolName = "itsm-escalate"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract: "Policy-driven escalation and SLA clocks, run from cron; notifications never lost or sent twice.",
    discussion: """
      'tick' finds what is due (pages, escalations, re-notifications, SLA warnings and breaches, war rooms), records it on the incidents' timelines and puts one notification per target in the outbox; 'notify' delivers the outbox. Both are safe to run at any time, as often as you like: a second run at the same moment does nothing new.

      Each incident keeps the escalation policy version in force when it opened (an imported one: when a tick first sees it); editing the policy file later changes how new incidents escalate, not the ones already open.

      Example crontab:
        * * * * * itsm-escalate tick -q >> /var/log/itsm/notifications.jsonl
        * * * * * itsm-escalate notify -q --webhook https://chat.example.com/hooks/ops

      Examples:
        itsm-escalate plan --within 2h --format table
        itsm-escalate escalate INC-7 --reason "customer-facing, need the database team"
        itsm-incident list --open | itsm-escalate tick --stdin
        itsm-escalate policy check policy.yaml
      """,
    version: ITSMVersion.current,
    subcommands: [Tick.self, Plan.self, Escalate.self, Notify.self, Watch.self, PolicyCommand.self])
}
