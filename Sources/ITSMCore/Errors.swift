import Foundation

/// Every failure itsm reports, each tied to one exit code of the contract.
///
/// Messages are short, lower-case, and name the file, line, key or value at fault.
public enum ITSMError: Error, Equatable, Sendable {
  /// A value given on the command line or in a record is malformed (a timestamp, a duration).
  case invalidValue(String)
  /// A usage problem that the argument parser could not see (exit 64).
  case usage(String)
  /// Input lines were bad, each message `source:line: reason` (exit 65).
  case badInputLines([String], more: Int)
  /// An input file is missing or unreadable (exit 66).
  case inputUnreadable(path: String, reason: String)
  /// The operation was refused or its target does not exist (exit 1).
  case operationFailed(String)
  /// The database or an output file could not be written (exit 74).
  case io(String)
  /// The database stayed locked past the busy timeout (exit 75).
  case busy(String)
  /// The policy file or the configuration is invalid, or the database is newer (exit 78).
  case configuration(String)

  /// The exit code the contract assigns to this error.
  public var exitCode: Int32 {
    switch self {
    case .operationFailed: return 1
    case .usage: return 64
    case .invalidValue, .badInputLines: return 65
    case .inputUnreadable: return 66
    case .io: return 74
    case .busy: return 75
    case .configuration: return 78
    }
  }

  /// The lines to print on stderr, without the program name.
  public var messages: [String] {
    switch self {
    case .invalidValue(let m), .usage(let m), .operationFailed(let m), .io(let m), .busy(let m),
      .configuration(let m):
      return [m]
    case .badInputLines(let lines, let more):
      return more > 0 ? lines + ["... and \(more) more invalid lines"] : lines
    case .inputUnreadable(let path, let reason):
      return ["\(path): \(reason)"]
    }
  }
}

extension ITSMError: LocalizedError {
  public var errorDescription: String? { messages.joined(separator: "\n") }
}
