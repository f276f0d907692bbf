import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMLicense: ITSMTool {
  static let toolName = "itsm-license"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract:
      "License usage snapshots, inactive and departed accounts, reclamation with grace periods, savings and renewals.",
    discussion: """
      Import what the vendors export (apps and prices, the directory's accounts, assignments, activity snapshots), then let cron flag and reclaim every night: departed accounts are reclaimed at once; inactive ones get one notification to their manager through the shared outbox ('itsm-escalate notify' delivers it), a grace period (14 days by default), and are then reclaimed, or downgraded when the policy names a lower SKU. An account active again during the grace period closes its case as kept.

      Accounts are keyed by the source's stable user id, never the e-mail address. Activity or an assignment for an account the directory has not named creates it with hr_status unknown (a contractor, a service account): it is flagged like any other, never as departed, and the import warns how many there were.

      Example crontab:
        30 1 * * * itsm-license import activity --preset m365 --input /exports/entra-users.csv -q
        0 2 * * * itsm-license flag -q && itsm-license reclaim -q >> /var/log/itsm/license-actions.jsonl

      Examples:
        itsm-license import apps --input apps.jsonl
        itsm-license utilization --by app --format table
        itsm-license savings --period quarter
        itsm-license renewals --within 90d --format table
      """,
    version: ITSMVersion.current,
    subcommands: [
      Import.self, FlagCases.self, Reclaim.self, Keep.self, Exempt.self, Utilization.self, Savings.self, Renewals.self,
      Forecast.self, Accounts.self, Cases.self,
    ])
}
