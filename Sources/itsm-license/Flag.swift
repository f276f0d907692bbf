import ArgumentParser
import ITSMCommandSupport
import ITSMCore

extension ITSMLicense {
  struct FlagCases: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "flag",
      abstract: "Open reclamation cases for departed, unassigned, never-used, inactive and duplicate seats (cron).",
      discussion: """
        One case per assignment (kind license.case, state candidate): departed (the directory says so, from the departure date on), unassigned (held by an account the directory does not list, hr_status unknown: no person is assigned the seat; exempt service accounts with itsm-license exempt), never_used (the app's exports list the account but it was never active, and the seat is older than the window), inactive (no activity within the app's window: licenses.apps.APP.inactive_days, else licenses.inactive_days, default 30), duplicate (the lower tier of two SKUs of one app). Never flagged: new hires in their first licenses.new_hire_days (30), exempt accounts (itsm-license exempt, licenses.exempt.accounts), departments (licenses.exempt.departments) and groups (licenses.exempt.groups, matched against the groups an account record lists under "groups"), and seats kept by hand in the last 90 days (unless the person has left). A seat with an open case gets no second one, nor does a seat reclaimed since it was assigned that a vendor export still lists: a second run opens nothing.

        Prints the cases it opened. Exit status: 3 with --check when any case is open.

        Example:
          itsm-license flag --format table
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var dryRun: DryRunOption
    @Option(help: "Inactive after this many days, for every app (else the policy's).") var inactiveDays: Int?
    @Flag(help: "Exit 3 when any case is open.") var check = false

    func validate() throws {
      if let inactiveDays, inactiveDays < 1 { throw ValidationError("'--inactive-days' must be 1 or more") }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMLicense.toolName) {
        let session = try CommandSession(global, tool: ITSMLicense.toolName, views: Views.all)
        let (count, open, records) = try withLicenses(session, source: "flag", dryRun: dryRun.dryRun) { store in
          let opened = try store.flag(rules: session.policy.licenses, inactiveDays: inactiveDays)
          // Made while the transaction commits, printed once it has.
          let records = session.printer.prepare(opened) { $0.record }
          return (opened.count, try store.openCases(), records)
        }
        try session.printer.print(records)
        session.messages.info(
          "\(count) cases opened, \(open) open in all\(dryRun.dryRun ? " (dry run: nothing was changed)" : "")")
        try session.printer.finish()
        if check && open > 0 { throw ExitCode(3) }
      }
    }
  }
}
