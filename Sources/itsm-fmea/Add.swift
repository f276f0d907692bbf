import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMFMEA {
  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Register a failure mode with its first scores.",
      discussion: """
        Prints the new mode (kind fmea.mode) with its RPN and Action Priority. The service must be in the policy's catalog unless --allow-unknown-service is given.

        Exit status: 1 when the service is not in the catalog; 64 when a score is not a whole number from 1 to 10.

        Example:
          itsm-fmea add --service mail --component smtp-relay --mode "relay queue stalls" --effect "outbound mail delayed" --cause "disk full" --s 7 --o 5 --d 4 --owner team:messaging
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @OptionGroup var unknownService: UnknownServiceOption

    @Option(help: "The service from the catalog.") var service: String
    @Option(help: "The component that fails (a host, a queue, a dependency...).") var component: String
    @Option(help: "What fails: the failure mode.") var mode: String
    @Option(help: "Its effect on the service and its users.") var effect: String
    @Option(help: "Its cause; incidents of the service with this root cause count as occurrences.") var cause: String
    @OptionGroup var scores: ScoreOptions
    @Option(help: "Who owns the risk: a person, or a target such as team:messaging.") var owner: String?
    @Option(help: "The function of the component that the failure defeats.") var function: String?
    @Option(help: "Controls that prevent the cause.") var prevention: String?
    @Option(help: "Controls that detect the failure.") var detectionControls: String?
    @Option(help: "An id of your own (else FM-<n>).") var id: String?

    func validate() throws {
      if scores.severity == nil || scores.occurrence == nil || scores.detection == nil {
        throw ValidationError("'--s', '--o' and '--d' are all required")
      }
      for (flag, text) in [
        ("--service", service), ("--component", component), ("--mode", mode), ("--effect", effect), ("--cause", cause),
      ] {
        try requireText(text, flag: flag)
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMFMEA.toolName) {
        let session = try CommandSession(global, tool: ITSMFMEA.toolName, views: Views.all)
        if session.policy.services[service] == nil {
          let message = FailureModeDecoder.unknownServiceMessage(service)
          guard unknownService.allowUnknownService else { throw ITSMError.operationFailed(message) }
          session.messages.warning(message)
        }
        let registered = try global.withWritableDatabase(dryRun: dryRun.dryRun) { database in
          try database.write(dryRun: dryRun.dryRun) { db in
            let store = FMEAStore(db)
            let newID = try id ?? store.nextID()
            if try store.find(id: newID) != nil {
              throw ITSMError.operationFailed("a failure mode with id '\(newID)' exists already")
            }
            var entry = FailureMode(
              id: newID, service: service, component: component, failureMode: mode, effect: effect, cause: cause,
              scores: FMEAScores(
                severity: scores.severity!, occurrence: scores.occurrence!, detection: scores.detection!),
              at: session.now)
            entry.owner = owner
            entry.function = function
            entry.prevention = prevention
            entry.detectionControls = detectionControls
            try store.register(&entry, reason: "initial assessment", context: session.context(source: "cli"))
            return entry
          }
        }
        try session.printer.print(registered.record)
        if dryRun.dryRun { session.messages.info("dry run: nothing was changed") }
        try session.printer.finish()
      }
    }
  }
}
