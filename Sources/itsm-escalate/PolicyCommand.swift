import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMEscalate {
  struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "policy",
      abstract: "Check a policy file, or show the effective policy with every default filled in.",
      subcommands: [Check.self, Show.self])

    struct Check: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Validate a policy file (else the one in effect).",
        discussion: """
          Prints a one-line summary on stderr and exits 0 when the file is valid; otherwise prints the file, line, key path and problem, and exits 78.

          Example:
            itsm-escalate policy check policy.yaml
          """)

      @OptionGroup var global: GlobalOptions

      @Argument(help: ArgumentHelp("The policy file to check.", valueName: "file"))
      var file: String?

      func run() throws {
        try CommandRunner.run(tool: ITSMEscalate.toolName) {
          let policy =
            try file.map { try PolicyLoader.load(path: $0) }
            ?? PolicyLoader.load(explicit: global.policy, environment: global.environment)
          let e = policy.escalation
          Messages(tool: ITSMEscalate.toolName, quiet: global.quiet).info(
            "\(policy.source): ok (\(policy.services.count) services, \(e.policies.count) escalation policies, "
              + "\(e.routes.count) routes, \(e.calendars.count) calendars; escalation version \(try e.pinned().version))"
          )
        }
      }
    }

    struct Show: ParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Print the effective policy as YAML, defaults filled in.",
        discussion: """
          The output is itself a valid policy file: 'policy show > policy.yaml' is a good start for one of your own.
          """)

      @OptionGroup var global: GlobalOptions

      func run() throws {
        try CommandRunner.run(tool: ITSMEscalate.toolName) {
          let output = StandardOutput()
          try output.append(try PolicyWriter.yaml(try global.loadPolicy()))
          try output.flush()
        }
      }
    }
  }
}
