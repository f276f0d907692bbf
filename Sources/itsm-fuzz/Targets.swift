import Foundation
import ITSMCore

#if canImport(Glibc)
  import Glibc
#endif

/// The readers that take input from outside, each driven with arbitrary bytes. A reader may
/// refuse the bytes (that is what it is for); it must never crash, hang or grow without bound.
enum FuzzTarget: String, CaseIterable {
  /// JSON Lines: line splitting, the JSON parser, and the incident, alert and Alertmanager decoders.
  case jsonl
  /// CSV: quoted records across lines, the header, and the vendor date formats on every cell.
  case csv
  /// The duration and timestamp parsers.
  case time
  /// The policy loader (YAML, the catalog, escalation rules, the dependency graph).
  case policy

  static let demoPolicy = try! PolicyLoader.parse(DemoData.policyYAML, source: "demo policy")
  static let now = Timestamp(seconds: 1_795_000_000)
  static let dates = DateReader(pattern: nil, timeZone: TimeZone(identifier: "UTC")!)

  func run(_ bytes: UnsafeBufferPointer<UInt8>) {
    switch self {
    case .jsonl:
      Self.withFile(bytes) { path in
        let decoder = IncidentDecoder(policy: Self.demoPolicy, now: Self.now)
        try? LineReader(path: path, maximumLineLength: 1 << 16).forEachLine { _, line in
          guard case .text(let text) = line else { return }
          // Parsed straight into an incident's fields: the same verdict as through an object.
          let direct = Result { try decoder.decode(json: text, requiringOpenedAt: true) }
          guard case .object(let object)? = try? JSONParser.parse(text) else {
            if case .success = direct { fatalError("a line that is no JSON object decoded as an incident") }
            return
          }
          let viaObject = Result {
            guard object["opened_at"] != nil else { throw RecordRejection("missing required field 'opened_at'") }
            return try decoder.decode(object)
          }
          switch (direct, viaObject) {
          case (.success(let a), .success(let b)) where a.incident == b.incident: break
          case (.failure(let a as RecordRejection), .failure(let b as RecordRejection)) where a == b: break
          default: fatalError("an incident decoded from its text differs from one decoded through an object")
          }
          _ = try? AlertIngest.decode(object, policy: Self.demoPolicy, now: Self.now)
          _ = try? AlertmanagerPayload.decode(object, policy: Self.demoPolicy, now: Self.now)
          var out: [UInt8] = []
          JSONSerializer.append(object, to: &out)
        }
      }
    case .csv:
      Self.withFile(bytes) { path in
        var header: CSVHeader?
        guard let reader = try? LineReader(path: path, maximumLineLength: 1 << 16) else { return }
        try? CSVParser.forEachRecord(reader) { _, result, _ in
          guard case .success(let fields) = result else { return }
          guard let header else {
            header = CSVHeader(fields)
            return
          }
          _ = try? header.row(fields).sortedByName
          for field in fields { _ = Self.dates.read(field) }
        }
      }
    case .time:
      let text = String(decoding: bytes, as: UTF8.self)
      _ = try? DurationValue.parse(text)
      _ = try? TimestampParser.parse(text, now: Self.now)
      _ = TimestampParser.parseAbsolute(text)
      _ = Self.dates.read(text)
    case .policy:
      _ = try? PolicyLoader.parse(String(decoding: bytes, as: UTF8.self), source: "fuzz")
    }
  }

  /// The line readers read files: the bytes go into one scratch file, rewritten for each input.
  private static let scratch: String = {
    let folder = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    return "\(folder)/itsm-fuzz-\(getpid())"
  }()

  private static func withFile(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (String) -> Void) {
    let fd = open(scratch, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
    guard fd >= 0 else { return }
    var offset = 0
    while offset < bytes.count {
      let n = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
      if n <= 0 { break }
      offset += n
    }
    close(fd)
    body(scratch)
  }
}

#if ITSM_FUZZING
  /// libFuzzer's entry point; ITSM_FUZZ_TARGET names the reader.
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzedTarget.run(UnsafeBufferPointer(start: data, count: size))
    return 0
  }

  /// Read once: the environment is no place to look on every one of millions of inputs.
  let fuzzedTarget: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["ITSM_FUZZ_TARGET"] ?? "jsonl"
    guard let target = FuzzTarget(rawValue: name) else { fatalError("unknown ITSM_FUZZ_TARGET '\(name)'") }
    return target
  }()

  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
  ) -> CInt

  /// SwiftPM links an executable's entry point under the name `<module>_main`; here it hands
  /// over to libFuzzer's driver.
  @_cdecl("itsm_fuzz_main")
  public func fuzzMain(
    _ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
  ) -> CInt {
    var count = argc
    var vector = argv
    return runFuzzerDriver(&count, &vector, fuzzOneInput)
  }
#endif
