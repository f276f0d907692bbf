import Foundation
import Testing

/// Output shapes pinned by golden files: a change to a record's fields or their order shows up
/// here as a diff. Regenerate with ITSM_UPDATE_GOLDEN=1 after a deliberate change.
@Suite("golden output shapes")
struct GoldenTests {
  static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")

  func check(_ name: String, _ actual: String) throws {
    let file = GoldenTests.folder.appendingPathComponent(name)
    if ProcessInfo.processInfo.environment["ITSM_UPDATE_GOLDEN"] == "1" {
      try Data(actual.utf8).write(to: file)
    }
    let expected = try String(contentsOf: file, encoding: .utf8)
    #expect(actual == expected, "\(name) differs from the golden file")
  }

  func scenario() throws -> Sandbox {
    let s = try Sandbox()
    _ = try s.incident([
      "open", "--title", "Mail delivery delayed", "--service", "mail", "--impact", "1", "--urgency", "2",
      "--users-affected", "40", "--tag", "customer=acme", "--started-at", "2026-11-01T08:50:00Z",
      "--now", "2026-11-01T09:00:00Z",
    ])
    _ = try s.incident(["ack", "INC-1", "--now", "2026-11-01T09:04:00Z"])
    _ = try s.incident(["assign", "INC-1", "--to", "ana", "--team", "messaging", "--now", "2026-11-01T09:05:00Z"])
    _ = try s.incident(["note", "INC-1", "queue draining", "--now", "2026-11-01T09:20:00Z"])
    _ = try s.incident([
      "resolve", "INC-1", "--root-cause", "queue limit", "--resolution", "raised it", "--now", "2026-11-01T10:00:00Z",
    ])
    return s
  }

  @Test func showAsJSONLines() throws {
    try check("show.jsonl", try scenario().incident(["show", "INC-1"]).stdout)
  }

  @Test func showAsTable() throws {
    try check("show.table", try scenario().incident(["show", "INC-1", "--format", "table"]).stdout)
  }

  @Test func listAsMarkdown() throws {
    try check("list.md", try scenario().incident(["list", "--format", "markdown"]).stdout)
  }
}
