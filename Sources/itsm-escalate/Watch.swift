import ArgumentParser
import Foundation
import ITSMCommandSupport
import ITSMCore
import Synchronization

#if canImport(Glibc)
  import Glibc
#endif

/// Set by SIGTERM or SIGINT: `watch` finishes the tick in hand and stops.
private let stopRequested = Atomic<Bool>(false)

extension ITSMEscalate {
  struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Tick (and deliver) every so often, for hosts without cron.",
      discussion: """
        Runs a tick every --every on the real clock (or at a fixed --now, for tests), printing the notifications queued; with --exec or --webhook it also delivers the outbox after each tick. SIGTERM or SIGINT stops it cleanly: the tick in hand finishes, and it exits 0. A tick that fails with a busy database is retried at the next turn; any other failure stops it.

        Example:
          itsm-escalate watch --every 60s --webhook https://chat.example.com/hooks/ops
        """)

    @OptionGroup var global: GlobalOptions
    @OptionGroup var delivery: DeliveryOptions

    @Option(help: ArgumentHelp("How often to tick.", valueName: "duration"))
    var every: String = "60s"

    func validate() throws {
      do {
        if try DurationValue.parse(every).seconds <= 0 { throw ValidationError("'--every' must be more than zero") }
      } catch let error as ITSMError {
        throw ValidationError("--every: \(error.messages.joined())")
      }
    }

    func run() throws {
      try CommandRunner.run(tool: ITSMEscalate.toolName) {
        var session = try CommandSession(global, tool: ITSMEscalate.toolName, views: Views.all)
        let interval = try DurationValue.parse(every).seconds
        let deliverer = delivery.isGiven ? try delivery.deliverer() : nil
        let fixedNow = global.now != nil || !(global.environment["ITSM_NOW"] ?? "").isEmpty
        signal(SIGTERM) { _ in stopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in stopRequested.store(true, ordering: .relaxed) }
        // A parent may have started this process with the signals blocked (the mask is
        // inherited): unblock them, or a stop request would never arrive.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
        session.messages.info("watching: a tick every \(DurationValue(seconds: interval)); SIGTERM stops")
        while !stopRequested.load(ordering: .relaxed) {
          if !fixedNow { session.now = Timestamp(Date()) }
          do {
            _ = try runTick(session, dryRun: false)
            if let deliverer {
              let result = try deliverDue(
                session, database: try global.openDatabaseForWriting(), using: deliverer, max: 1000)
              if result.pending > 0 { session.messages.warning("\(result.pending) notifications remain undelivered") }
            }
          } catch let error as ITSMError where error.exitCode == 75 {
            session.messages.warning("\(error.messages.joined()); trying again at the next turn")
          }
          // Sleep in short steps so that a signal is noticed promptly.
          let wakeAt = Date().addingTimeInterval(TimeInterval(interval))
          while !stopRequested.load(ordering: .relaxed) && Date() < wakeAt { usleep(50_000) }
        }
        try session.printer.finish()
        session.messages.info("stopped")
      }
    }
  }
}
