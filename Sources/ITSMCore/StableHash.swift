/// FNV-1a, 64 bits: a hash that is the same on every machine and in every run (Swift's own
/// `Hasher` is seeded per process), for ids derived from content.
public enum StableHash {
  public static func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }

  /// `PREFIX-` and the 16 hex digits of the text's hash: an id derived from content.
  public static func id(_ prefix: String, _ text: String) -> String {
    let hex = String(fnv1a(text), radix: 16)
    return prefix + "-" + String(repeating: "0", count: 16 - hex.count) + hex
  }
}
