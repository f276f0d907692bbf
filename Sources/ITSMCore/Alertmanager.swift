import Foundation

/// Prometheus Alertmanager webhook payloads (version 4): each alert of a payload becomes an
/// itsm alert and goes through the same de-duplication as any other.
public enum AlertmanagerPayload {
  /// The alerts of one payload, in order. A payload without `alerts[]`, or an alert with
  /// neither a fingerprint nor labels, is refused with the reason.
  public static func decode(_ payload: JSONObject, policy: Policy, now: Timestamp) throws -> [Alert] {
    guard case .array(let alerts)? = payload["alerts"] else {
      throw RecordRejection("not an Alertmanager payload: no alerts[]")
    }
    let common = strings(payload["commonLabels"])
    var decoded: [Alert] = []
    for (index, value) in alerts.enumerated() {
      guard case .object(let alert) = value else { throw RecordRejection("alerts[\(index)] is not an object") }
      do {
        decoded.append(try decodeAlert(alert, payload: payload, common: common, policy: policy, now: now))
      } catch let rejection as RecordRejection {
        throw RecordRejection("alerts[\(index)]: \(rejection.reason)")
      }
    }
    return decoded
  }

  private static func strings(_ value: JSONValue?) -> [(String, String)] {
    guard case .object(let o)? = value else { return [] }
    return o.fields.compactMap { field in
      if case .string(let s) = field.value { return (field.key, s) }
      return nil
    }
  }

  private static func decodeAlert(
    _ alert: JSONObject, payload: JSONObject, common: [(String, String)], policy: Policy, now: Timestamp
  ) throws -> Alert {
    let labelList = strings(alert["labels"])
    let labels = Dictionary(labelList, uniquingKeysWith: { first, _ in first })
    let annotations = Dictionary(strings(alert["annotations"]), uniquingKeysWith: { first, _ in first })
    var fingerprint: String?
    if case .string(let f)? = alert["fingerprint"], !f.isEmpty { fingerprint = f }
    guard fingerprint != nil || !labels.isEmpty else { throw RecordRejection("an alert needs a fingerprint or labels") }
    // Without a fingerprint, the labels identify the alert, as Alertmanager's own does.
    let key =
      fingerprint
      ?? String(
        StableHash.fnv1a(labelList.sorted { $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: ",")), radix: 16)
    var status = "firing"
    if case .string(let s)? = alert["status"] {
      status = s
    } else if case .string(let s)? = payload["status"] {
      status = s
    }
    let commonLabels = Dictionary(common, uniquingKeysWith: { first, _ in first })
    let service = policy.alerts.serviceLabels.lazy.compactMap { labels[$0] ?? commonLabels[$0] }.first
    var record = JSONObject()
    record.add("dedup_key", .string("alertmanager:" + key))
    record.add("status", .string(status))
    record.add("title", (annotations["summary"] ?? labels["alertname"]).map { .string($0) })
    record.add("service", service.map { .string($0) })
    // No severity label: a warning, the usual default of alerting rules.
    record.add("severity", .string(labels["severity"] ?? "warning"))
    let timeKey = status == "resolved" ? "endsAt" : "startsAt"
    if case .string(let t)? = alert[timeKey], let at = TimestampParser.parseAbsolute(t), at.seconds > 0 {
      record.add("at", .string(at.rfc3339))
    }
    record.add("labels", alert["labels"])
    record.add("annotations", alert["annotations"])
    record.add("fingerprint", fingerprint.map { .string($0) })
    record.add("generator_url", alert["generatorURL"])
    record.add("group_key", payload["groupKey"])
    if service == nil && status == "firing" {
      let names = policy.alerts.serviceLabels.joined(separator: " or ")
      throw RecordRejection("no service: the alert has no label \(names) (alerts.service_labels in the policy)")
    }
    return try AlertIngest.decode(record, policy: policy, now: now)
  }
}
