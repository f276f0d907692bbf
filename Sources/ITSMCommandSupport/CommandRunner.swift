import ArgumentParser
import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// Runs a command body and maps what it throws to the contract: `ITSMError` prints its
/// message and exits with its code; a closed stdout ends quietly with 0.
public enum CommandRunner {
  /// Call first in `main`: a closed pipe must surface as EPIPE, not kill the process.
  public static func prepareProcess() {
    signal(SIGPIPE, SIG_IGN)
  }

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
