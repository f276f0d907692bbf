import Foundation

/// Incident priority, P1 (most urgent) to P5.
public enum Priority: Int, CaseIterable, Sendable, Comparable, CustomStringConvertible {
  case p1 = 1
  case p2, p3, p4, p5

  /// Accepts `P1`..`P5` in any case.
  public init?(parsing text: String) {
    switch text {
    case "P1":
      self = .p1
      return
    case "P2":
      self = .p2
      return
    case "P3":
      self = .p3
      return
    case "P4":
      self = .p4
      return
    case "P5":
      self = .p5
      return
    default: break
    }
    let t = text.trimmingCharacters(in: .whitespaces).uppercased()
    guard t.count == 2, t.first == "P", let n = Int(t.dropFirst()), let p = Priority(rawValue: n) else {
      return nil
    }
    self = p
  }

  public var description: String { "P\(rawValue)" }

  public static func < (lhs: Priority, rhs: Priority) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// Where an incident's priority came from.
public enum PrioritySource: String, Sendable {
  /// Derived from impact and urgency through the policy's matrix.
  case matrix
  /// Set by hand, overriding the matrix.
  case manual
}

/// The impact x urgency matrix (both 1 high .. 3 low).
public struct PriorityMatrix: Equatable, Sendable {
  /// Rows by impact 1..3, columns by urgency 1..3.
  public var cells: [[Priority]]

  /// The ITIL / ServiceNow default matrix.
  public static let itil = PriorityMatrix(cells: [
    [.p1, .p2, .p3],
    [.p2, .p3, .p4],
    [.p3, .p4, .p5],
  ])

  public init(cells: [[Priority]]) { self.cells = cells }

  /// The priority for an impact and an urgency, each 1...3.
  public func priority(impact: Int, urgency: Int) -> Priority {
    cells[impact - 1][urgency - 1]
  }
}
