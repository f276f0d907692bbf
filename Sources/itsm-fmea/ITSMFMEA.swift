import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMFMEA: ITSMTool {
  static let toolName = "itsm-fmea"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract:
      "Failure modes scored Severity x Occurrence x Detection (RPN) and Action Priority, fed by incident history and the service dependency map.",
    discussion: """
      The failure mode register lives in the same database as the incidents. Each mode has a service (from the policy's catalog), a component, what fails, its effect and cause, the controls in place, and severity, occurrence and detection scores 1..10. RPN is S x O x D; Action Priority (H, M, L) follows the AIAG-VDA table and ranks before RPN. Every scoring is kept as an evaluation (who, when, why, and the basis when derived); 'show' prints them.

      Incidents link to a mode by naming it ('itsm-incident open --failure-mode FM-3'), or by having its service and its cause as root cause. 'derive' proposes Occurrence from how often that happened and Detection from how the incidents were found. 'alert' (cron) raises one alert per mode crossing the line and clears it once it falls back, through the notification outbox that 'itsm-escalate notify' delivers.

      The dependency map is the catalog's depends_on; an entry 'db-a|db-b' means either of two redundant services will do.

      Examples:
        itsm-fmea add --service mail --component smtp-relay --mode "relay queue stalls" --effect "mail delayed" --cause "disk full" --s 7 --o 5 --d 4
        itsm-fmea derive --window 365d --apply
        itsm-fmea risk --format table
        itsm-fmea spof | jq -r 'select(.cuts | length > 2) | .component'
        itsm-fmea deps --service payments --format dot | dot -Tsvg > payments.svg
        itsm-fmea worksheet --format csv > review.csv
      """,
    version: ITSMVersion.current,
    subcommands: [
      Add.self, Import.self, Export.self, List.self, Show.self, Rescore.self, Status.self, Action.self, Derive.self,
      Alert.self, Deps.self, Spof.self, Risk.self, Worksheet.self,
    ])
}
