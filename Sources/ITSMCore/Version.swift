/// The itsm release, printed by every tool's `--version`.
public enum ITSMVersion {
  public static let current = "0.1.0"
}
