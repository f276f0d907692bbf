import ArgumentParser
import ITSMCommandSupport
import ITSMCore

@main
struct ITSMIncident: ITSMTool {
  static let toolName = "itsm-incident"

  static let configuration = CommandConfiguration(
    commandName: toolName,
    abstract: "Open, acknowledge, hand over, resolve and close incidents; import, export and ingest alerts.",
    discussion: """
      Every change appends an event to the incident's timeline, and every command that changes an incident prints the resulting incident record (JSON Lines when piped, a table on a terminal).

      Examples:
        itsm-incident open --title "Mail delivery delayed" --service mail --impact 1 --urgency 2
        itsm-incident ack INC-7 && itsm-incident assign INC-7 --to ana --team messaging
        itsm-incident resolve INC-7 --root-cause "queue full" --resolution "raised the limit"
        itsm-incident list --open --priority P1,P2 --format table
        itsm-incident export --since -30d | jq -c 'select(.priority=="P1")'
        itsm-incident export | itsm-incident import --db copy.db
      """,
    version: ITSMVersion.current,
    subcommands: [
      Open.self, Ack.self, Assign.self, Note.self, Update.self, Hold.self, Resume.self, Resolve.self,
      Close.self, Reopen.self, Cancel.self, List.self, Show.self, Events.self, Import.self, Export.self,
      Alert.self,
    ])

}
