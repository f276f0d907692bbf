import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// One line handed out by `LineReader`.
public enum InputLine {
  /// The line's bytes, without the line ending (and without a BOM on line 1).
  case text(UnsafeBufferPointer<UInt8>)
  /// The line was longer than the reader's limit; its bytes were skipped.
  case tooLong(bytes: Int)
}

/// Streams the lines of a file or of stdin in constant memory: a line is handed out as a view
/// into a reused buffer, `\r\n` and a UTF-8 BOM on the first line are handled, and blank lines
/// are skipped (line numbers still count them). One thread at a time may read it; it is
/// Sendable so that a reading thread can own it.
public final class LineReader: @unchecked Sendable {
  /// Lines longer than this are reported and skipped, so that memory stays bounded.
  public static let defaultMaximumLineLength = 64 << 20

  /// The name used in messages: the path, or `<stdin>`.
  public let sourceName: String
  private let fd: Int32
  private let ownsDescriptor: Bool
  /// Lines longer than this many bytes are reported as too long.
  public let maximumLineLength: Int

  /// Opens PATH, or stdin for nil or `-`. A missing or unreadable file throws exit-66 errors.
  public init(path: String?, maximumLineLength: Int = LineReader.defaultMaximumLineLength) throws {
    self.maximumLineLength = maximumLineLength
    if path == nil || path == "-" {
      sourceName = "<stdin>"
      fd = STDIN_FILENO
      ownsDescriptor = false
    } else {
      let path = path!
      sourceName = path
      var info = stat()
      if stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR {
        throw ITSMError.inputUnreadable(path: path, reason: "is a directory")
      }
      let opened = open(path, O_RDONLY | O_CLOEXEC)
      guard opened >= 0 else {
        throw ITSMError.inputUnreadable(path: path, reason: String(cString: strerror(errno)))
      }
      fd = opened
      ownsDescriptor = true
    }
  }

  deinit {
    if ownsDescriptor { close(fd) }
  }

  /// Calls `body` with each non-blank line and its 1-based number. `beforeWaiting` runs when
  /// the next read would block (a pipe with nothing in it yet), so that callers can flush or
  /// commit what they have so far; a regular file never waits.
  /// Blank lines are skipped unless `keepingBlankLines`: CSV keeps them, since inside a quoted
  /// field they are part of the value.
  public func forEachLine(
    keepingBlankLines: Bool = false,
    beforeWaiting: () throws -> Void = {},
    _ body: (Int, InputLine) throws -> Void
  ) throws {
    let chunk = 1 << 20
    var buffer = [UInt8](repeating: 0, count: chunk)
    var filled = 0
    // Bytes before this offset of the partial line hold no newline: never scan them twice.
    var scannedTo = 0
    var lineNumber = 0
    var discarding = 0
    var atEOF = false
    while !atEOF {
      if filled == buffer.count {
        if buffer.count < maximumLineLength + 2 {
          let growth = min(buffer.count, maximumLineLength + 2 - buffer.count)
          buffer.append(contentsOf: repeatElement(0, count: growth))
        } else {
          discarding += filled
          filled = 0
          scannedTo = 0
        }
      }
      if wouldWait() { try beforeWaiting() }
      let n = buffer.withUnsafeMutableBytes { raw -> Int in
        var r: Int
        repeat {
          r = read(fd, raw.baseAddress! + filled, raw.count - filled)
        } while r < 0 && errno == EINTR
        return r
      }
      if n < 0 {
        throw ITSMError.inputUnreadable(path: sourceName, reason: String(cString: strerror(errno)))
      }
      if n == 0 { atEOF = true }
      filled += n
      var consumed = 0
      try buffer.withUnsafeBufferPointer { all in
        while consumed < filled {
          let searchFrom = max(consumed, scannedTo)
          let newline = memchr(all.baseAddress! + searchFrom, 0x0A, filled - searchFrom)
          let length: Int
          if let newline {
            length = UnsafeRawPointer(newline) - UnsafeRawPointer(all.baseAddress! + consumed)
          } else if atEOF {
            length = filled - consumed
          } else {
            scannedTo = filled
            break
          }
          lineNumber += 1
          if discarding > 0 {
            try body(lineNumber, .tooLong(bytes: discarding + length))
            discarding = 0
          } else if length > maximumLineLength {
            try body(lineNumber, .tooLong(bytes: length))
          } else {
            try deliver(
              UnsafeBufferPointer(rebasing: all[consumed..<(consumed + length)]), lineNumber,
              keepingBlank: keepingBlankLines, body)
          }
          consumed += length + (newline == nil ? 0 : 1)
          scannedTo = consumed
        }
      }
      if consumed > 0 {
        buffer.withUnsafeMutableBufferPointer { b in
          let remaining = filled - consumed
          if remaining > 0 {
            memmove(b.baseAddress!, b.baseAddress! + consumed, remaining)
          }
        }
        filled -= consumed
        scannedTo = max(0, scannedTo - consumed)
        if buffer.count > chunk && filled < chunk {
          buffer = Array(buffer[0..<chunk])
        }
      }
    }
    if discarding > 0 {
      try body(lineNumber + 1, .tooLong(bytes: discarding))
    }
  }

  /// Whether the next read would block: never for a regular file; for a pipe, a terminal or a
  /// socket, when no input is ready right now.
  private func wouldWait() -> Bool {
    var info = stat()
    guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG else { return false }
    var request = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&request, 1, 0) == 0
  }

  private func deliver(
    _ line: UnsafeBufferPointer<UInt8>, _ number: Int, keepingBlank: Bool, _ body: (Int, InputLine) throws -> Void
  ) throws {
    var start = 0
    var end = line.count
    if number == 1, end >= 3, line[0] == 0xEF, line[1] == 0xBB, line[2] == 0xBF { start = 3 }
    if end > start, line[end - 1] == 0x0D { end -= 1 }
    var blank = true
    var i = start
    while i < end {
      let c = line[i]
      if c != 0x20 && c != 0x09 && c != 0x0D {
        blank = false
        break
      }
      i += 1
    }
    if blank && !keepingBlank { return }
    try body(number, .text(UnsafeBufferPointer(rebasing: line[start..<end])))
  }
}
