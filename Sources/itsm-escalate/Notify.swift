import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore

extension ITSMEscalate {
  struct Notify: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Deliver the notifications waiting in the outbox.",
      discussion: """
        Delivers pending notifications at least once, oldest first, and records each delivery on the timeline of what it is about (event 'notification_delivered'). Prints each notification delivered.

        --exec runs a shell command per notification with its JSON on stdin (exit 0 = delivered; $ITSM_NOTIFICATION_ID is set). --webhook POSTs the JSON, with a 'text' field for chat tools, and takes any 2xx answer as delivered. A failure (non-zero exit, an error status, no answer within --timeout) leaves the notification pending, to be retried after a backoff that doubles each time (30s, 1m, 2m, ... at most 1h).

        With --dry-run, prints the notifications that are due and delivers nothing.

        Exit status: 0 when the outbox is empty afterwards; 1 when notifications remain undelivered (the message says how many).

        Examples:
          itsm-escalate notify --webhook https://chat.example.com/hooks/ops
          itsm-escalate notify --exec 'jq -r .message | mail -s "itsm" oncall@example.com'
          itsm-escalate notify --dry-run --format table
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions

    @Option(help: "Deliver at most this many in this run.")
    var max: Int = 1000

    @Flag(help: "Print the notifications that are due, and deliver nothing.")
    var dryRun = false

    func validate() throws {
      if max < 1 { throw ValidationError("'--max' must be 1 or more") }
      if !dryRun && !delivery.isGiven {
        throw ValidationError("say how to deliver: '--exec COMMAND' or '--webhook URL' (or '--dry-run' to look)")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMEscalate.toolName) {
        let session = try CommandSession(global, tool: ITSMEscalate.toolName, views: Views.all)
        if dryRun {
          let due = try global.openDatabaseForReading().write(dryRun: true) { db in
            try Outbox(db).claim(now: session.now, limit: max, lease: DurationValue(seconds: 1))
          }
          for notification in due {
            var record = notification.record
            record["attempts"] = .int(Int64(notification.attempts - 1))
            record["state"] = .string("pending")
            try session.printer.print(record)
          }
          try session.printer.finish()
          session.messages.info("dry run: \(due.count) notifications due, nothing delivered")
          return
        }
        let deliverer = try delivery.deliverer()
        guard FileManager.default.fileExists(atPath: global.databasePath) else {
          session.messages.info("nothing to deliver: there is no database at \(global.databasePath) yet")
          return
        }
        let result = try deliverDue(session, database: try global.openDatabaseForWriting(), using: deliverer, max: max)
        try session.printer.finish()
        session.messages.info("\(result.delivered) delivered, \(result.failed) failed")
        if result.pending > 0 {
          throw ITSMError.operationFailed("\(result.pending) notifications remain undelivered")
        }
      }
    }
  }
}
