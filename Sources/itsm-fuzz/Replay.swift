#if !ITSM_FUZZING
  import Foundation

  /// `itsm-fuzz replay TARGET DIR...`: runs every file of the folders (the kept corpus and the
  /// inputs that once crashed a reader) through the target, as the regression test of the
  /// fuzzing. A crash ends the process, so a finished run is a pass; it prints the count.
  /// The fuzzing itself is a build of this target with `-sanitize=fuzzer,address` and
  /// `-DITSM_FUZZING` (scripts/stress --long).
  @main
  struct Replay {
    static func main() {
      let arguments = Array(CommandLine.arguments.dropFirst())
      guard arguments.count >= 2, arguments[0] == "replay", let target = FuzzTarget(rawValue: arguments[1]) else {
        let names = FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")
        FileHandle.standardError.write(Data("usage: itsm-fuzz replay \(names) DIR...\n".utf8))
        exit(64)
      }
      var count = 0
      for folder in arguments.dropFirst(2) {
        // A missing folder is an error: a moved corpus must not pass as an empty one.
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
          FileHandle.standardError.write(Data("itsm-fuzz: cannot read \(folder)\n".utf8))
          exit(66)
        }
        for name in names.sorted() where !name.hasPrefix(".") {
          guard let data = FileManager.default.contents(atPath: "\(folder)/\(name)") else { continue }
          data.withUnsafeBytes { raw in target.run(raw.bindMemory(to: UInt8.self)) }
          count += 1
        }
      }
      guard count > 0 else {
        FileHandle.standardError.write(Data("itsm-fuzz: no inputs to replay\n".utf8))
        exit(66)
      }
      print("\(count) inputs replayed through \(target.rawValue)")
    }
  }
#endif
