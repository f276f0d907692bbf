import ArgumentParser
import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// The root command of an itsm executable. Its entry point ignores SIGPIPE (and SIGXFSZ) before anything is
/// printed (help and completion scripts too), so that a closed pipe surfaces as EPIPE and ends
/// the tool quietly instead of killing it.
public protocol ITSMTool: ParsableCommand {}

extension ITSMTool {
  public static func main() {
    signal(SIGPIPE, SIG_IGN)
    // Past a file size limit (ulimit -f), a write fails with EFBIG instead of killing the tool,
    // so that SQLite rolls the transaction back and the tool exits 74 like on a full disk.
    signal(SIGXFSZ, SIG_IGN)
    main(nil)
  }
}

/// Runs a command body and maps what it throws to the contract: `ITSMError` prints its
/// message and exits with its code; a closed stdout ends quietly with 0.
public enum CommandRunner {
  public static func run(tool: String, _ body: () throws -> Void) throws {
    do {
      try body()
    } catch is OutputClosed {
      throw ExitCode.success
    } catch let error as ITSMError {
      for (index, line) in error.messages.enumerated() {
        switch error {
        case .badInputLines: Messages.writeError(line)
        default: Messages.writeError(index == 0 ? "\(tool): \(line)" : line)
        }
      }
      throw ExitCode(error.exitCode)
    }
  }
}
