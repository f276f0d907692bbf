import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// What one run of a command works with: the policy, the clock, the actor, the printer for
/// stdout and the messages for stderr, all resolved once from the global options.
public struct CommandSession {
  public let global: GlobalOptions
  public let policy: Policy
  public var now: Timestamp
  public let printer: RecordPrinter
  public let messages: Messages

  /// `documents` are the formats beyond records that the command writes (html, dot, mermaid).
  public init(
    _ global: GlobalOptions, tool: String, views: [String: [Column]] = [:], documents: [OutputFormat] = []
  ) throws {
    if !OutputFormat.recordFormats.contains(global.format) && !documents.contains(global.format) {
      let owner = global.format == .html ? "'itsm-report health'" : "'itsm-fmea deps'"
      throw ITSMError.usage("--format \(global.format.rawValue) is only for \(owner)")
    }
    self.global = global
    self.now = try global.resolvedNow()
    self.policy = try global.loadPolicy()
    self.printer = RecordPrinter(format: global.resolvedFormat, views: views)
    self.messages = Messages(tool: tool, quiet: global.quiet)
  }

  public func context(source: String) -> ChangeContext {
    ChangeContext(actor: global.resolvedActor(), source: source)
  }
}

/// Where `--skip-invalid` sends rejected lines: `--rejects FILE`, else stderr, one JSON object
/// each: `{"kind":"reject","line":N,"reason":"...","input":"..."}`.
public final class RejectSink {
  private let fd: Int32
  private let ownsDescriptor: Bool
  public static let maximumInputBytes = 65_536

  public init(path: String?) throws {
    if let path {
      let opened = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard opened >= 0 else {
        throw ITSMError.io("cannot write rejects to \(path): \(String(cString: strerror(errno)))")
      }
      fd = opened
      ownsDescriptor = true
    } else {
      fd = STDERR_FILENO
      ownsDescriptor = false
    }
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  public func reject(line: Int, reason: String, input: UnsafeBufferPointer<UInt8>) throws {
    var record = JSONObject([
      JSONField("kind", .string("reject")), JSONField("line", .int(Int64(line))), JSONField("reason", .string(reason)),
    ])
    let kept = UnsafeBufferPointer(rebasing: input[0..<min(input.count, RejectSink.maximumInputBytes)])
    record.add("input", .string(String(decoding: kept, as: UTF8.self)))
    if kept.count < input.count { record.add("input_truncated", .bool(true)) }
    var bytes: [UInt8] = []
    JSONSerializer.append(record, to: &bytes)
    bytes.append(0x0A)
    try writeAll(fd, bytes, name: "the rejects file")
  }
}
