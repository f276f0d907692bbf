import Foundation

/// Which time-to-restore an MTTR figure measures; every report names it, since "MTTR" alone
/// is ambiguous.
public enum MTTRVariant: String, CaseIterable, Sendable {
  /// Opened to first resolution.
  case resolve
  /// Impact start (else opened) to first resolution.
  case restore
  /// Opened to the first human action on the incident.
  case respond
}

/// A dimension that `itsm-report metrics` can group by.
public enum MetricDimension: String, CaseIterable, Sendable {
  case priority, service, team, region, tier
  case impactType = "impact_type"
  case week, month

  /// The group value of an incident; weeks (ISO, `2026-W44`) and months (`2026-10`) are those
  /// of `time`: the opening, or the resolution for figures about resolved incidents. Nil when
  /// the incident has no value for it (printed as null).
  func value(of facts: IncidentFacts, at time: Timestamp) -> String? {
    switch self {
    case .priority: return facts.priority.description
    case .service: return facts.service
    case .team: return facts.team
    case .region: return facts.region
    case .tier: return facts.tier?.rawValue
    case .impactType: return facts.impactType?.rawValue
    case .week: return MetricDimension.isoWeek(time)
    case .month: return MetricDimension.month(time)
    }
  }

  static func isoWeek(_ t: Timestamp) -> String {
    let days = t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400
    let weekday = ((days + 3) % 7 + 7) % 7  // 0 = Monday (1970-01-01 was a Thursday)
    let thursday = days - weekday + 3
    let (year, _, _) = CivilDate.fromDays(thursday)
    let week = (thursday - CivilDate.toDays(year, 1, 1)) / 7 + 1
    return padded(year, 4) + "-W" + padded(week, 2)
  }

  /// `2026-10`, without formatting a whole timestamp.
  static func month(_ t: Timestamp) -> String {
    let days = t.seconds >= 0 ? t.seconds / 86_400 : (t.seconds - 86_399) / 86_400
    let (year, month, _) = CivilDate.fromDays(days)
    return padded(year, 4) + "-" + padded(month, 2)
  }

  /// A non-negative number with leading zeros (String(format:) is slow in a loop of millions).
  static func padded(_ n: Int64, _ width: Int) -> String {
    let digits = String(n)
    return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
  }
}

/// What the metrics need of one incident, read from the database or from a record.
public struct IncidentFacts: Sendable {
  public var id: String?
  public var priority: Priority
  public var service: String
  public var team: String?
  public var region: String?
  public var tier: SupportTier?
  public var impactType: ImpactType?
  public var openedAt: Timestamp
  public var startedAt: Timestamp?
  public var acknowledgedAt: Timestamp?
  public var firstResolvedAt: Timestamp?
  /// The first action by a person after opening, for the `respond` variant.
  public var firstHumanActionAt: Timestamp?
  public var reopenCount: Int
  /// The root cause as repeats compare it (trimmed, lower-cased); nil when there is none.
  public var causeKey: String? { didSet { causeOrigin = nil } }
  /// Where a reader's cause key cache has `causeKey`, when it does (set after the key).
  var causeOrigin: CauseOrigin?
  public var productivityLossMinutes: Double?
  public var financialImpact: Double?
  public var usersAffected: Int?
  public var status: IncidentStatus?
  /// Escalated past level 1 at least once: by a timeout, by hand, or in a way not known
  /// (an imported escalation level, or records on stdin).
  public var escalatedByTimeout = false
  public var escalatedByHand = false
  public var escalatedOtherwise = false
  /// Whether the timeout/manual split is known (itsm-escalate kept the incident's state).
  public var escalationSplitKnown = false
  /// Time on hold before the first resolution, as itsm-escalate counted it, and the start of
  /// a hold still going on (the resolution clock is paused then).
  public var heldSeconds: Int64 = 0
  public var heldSince: Timestamp?

  public init(
    priority: Priority, service: String, openedAt: Timestamp
  ) {
    self.priority = priority
    self.service = service
    self.openedAt = openedAt
    self.reopenCount = 0
  }

  public init(_ incident: Incident, policy: Policy) {
    id = incident.id
    impactType = incident.impactType
    usersAffected = incident.usersAffected
    priority = incident.priority
    service = incident.service
    team = incident.team
    region = incident.region
    tier = incident.tier
    openedAt = incident.openedAt
    startedAt = incident.startedAt
    acknowledgedAt = incident.acknowledgedAt
    firstResolvedAt = incident.firstResolvedAt
    reopenCount = incident.reopenCount
    causeKey = incident.rootCause.flatMap(IncidentFacts.causeKey)
    productivityLossMinutes = incident.productivityLossMinutes
    financialImpact = incident.financialImpact(policy: policy)
    status = incident.status
    escalatedOtherwise = incident.escalationLevel >= 2
  }

  public var escalated: Bool { escalatedByTimeout || escalatedByHand || escalatedOtherwise }
}

/// Makes the facts of incidents read from records, with the policy's costs. Per record, use
/// this rather than a closure that captures a `Policy`: such a closure copies the whole
/// policy (every field retained, then released) each time it runs.
public final class IncidentFactsMaker: Sendable {
  public let policy: Policy

  public init(policy: Policy) { self.policy = policy }

  public func facts(of incident: Incident) -> IncidentFacts { IncidentFacts(incident, policy: policy) }
}

extension IncidentFacts {
  /// A root cause as repeats compare it: trimmed and lower-cased; nil when blank. (The
  /// database does the same in SQL: `lower(trim(root_cause))`.)
  public static func causeKey(_ text: String) -> String? {
    var text = text
    if let key = text.withUTF8({ causeKey(asciiBytes: $0) }) { return key.isEmpty ? nil : key }
    let scalars = text.unicodeScalars
    guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
      let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })
    else { return nil }
    return String(scalars[first...last]).lowercased()
  }

  /// The cause key of UTF-8 text; nil for a blank text.
  static func causeKey(utf8 bytes: UnsafeBufferPointer<UInt8>) -> String? {
    if let key = causeKey(asciiBytes: bytes) { return key.isEmpty ? nil : key }
    return causeKey(String(decoding: bytes, as: UTF8.self))
  }

  /// The cause key of ASCII text, trimmed and lower-cased byte by byte with one allocation
  /// (the same as the Unicode path gives for ASCII); "" when blank, nil when not ASCII.
  private static func causeKey(asciiBytes bytes: UnsafeBufferPointer<UInt8>) -> String? {
    func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }
    var start = 0
    var end = bytes.count
    if bytes.contains(where: { $0 >= 0x80 }) { return nil }
    while start < end && isSpace(bytes[start]) { start += 1 }
    while end > start && isSpace(bytes[end - 1]) { end -= 1 }
    if start == end { return "" }
    return String(unsafeUninitializedCapacity: end - start) { out in
      for i in start..<end {
        let b = bytes[i]
        out[i - start] = b >= 0x41 && b <= 0x5A ? b + 0x20 : b
      }
      return end - start
    }
  }
}

/// The cause keys of the root causes one reader meets, by their stored bytes: a large table
/// has a few thousand distinct causes, and a key made once is shared by every incident that
/// has it (no String made, no lower-casing, per row). Not thread-safe: one per reader.
final class CauseKeyCache {
  /// Tells this cache's entry numbers from another's (random: caches come and go, and an
  /// address may be reused).
  let identity = UInt64.random(in: 1...UInt64.max)
  private var slots = HashSlots()
  /// The bytes of the causes seen, one after another, and where each is.
  private var arena: [UInt8] = []
  private var spans: [Range<Int>] = []
  private var results: [(key: String, hash: UInt64)?] = []
  /// Past this many distinct causes, keys are made each time rather than kept.
  private let limit: Int

  init(limit: Int = 1 << 16) { self.limit = limit }

  /// The cause key of the bytes, and where it is kept here; nil for a blank cause.
  func key(_ bytes: UnsafeBufferPointer<UInt8>) -> (key: String, origin: CauseOrigin)? {
    let hash = HashSlots.hash(bytes)
    let (found, slot) = arena.withUnsafeBufferPointer { arena in
      spans.withUnsafeBufferPointer { spans in
        slots.find(hash) { number in
          let span = spans[number]
          return span.count == bytes.count
            && (bytes.isEmpty || memcmp(arena.baseAddress! + span.lowerBound, bytes.baseAddress!, bytes.count) == 0)
        }
      }
    }
    if let found { return results[found].map { ($0.key, CauseOrigin(hash: $0.hash, cache: identity, entry: found)) } }
    let result = IncidentFacts.causeKey(utf8: bytes).map { ($0, StableHash.fnv1a($0)) }
    guard results.count < limit else { return result.map { ($0.0, CauseOrigin(hash: $0.1, cache: 0, entry: -1)) } }
    spans.append(arena.count..<arena.count + bytes.count)
    arena.append(contentsOf: bytes)
    results.append(result)
    slots.insert(hash, number: results.count - 1, at: slot)
    return result.map { ($0.0, CauseOrigin(hash: $0.1, cache: identity, entry: results.count - 1)) }
  }
}

/// A cause key as a reader's cache keeps it: its `StableHash.fnv1a`, and the cache and entry
/// (cache 0: none), which a calculator fed by that cache can number it by without a lookup.
struct CauseOrigin: Sendable {
  let hash: UInt64
  let cache: UInt64
  let entry: Int
}

/// The slots of an open-addressing table: the hash and number of what each holds, so that a
/// probe compares hashes in one array and looks at an entry only when they are equal. Never
/// more than half full.
struct HashSlots: Sendable {
  private struct Slot {
    var hash: UInt64
    /// The entry's number + 1; 0 for an empty slot.
    var number: Int32
  }
  private var slots = [Slot](repeating: Slot(hash: 0, number: 0), count: 1 << 10)
  private var count = 0

  /// The number of the entry with this hash that `matches`, or nil and the slot to insert it at.
  func find(_ hash: UInt64, _ matches: (Int) -> Bool) -> (found: Int?, slot: Int) {
    slots.withUnsafeBufferPointer { slots in
      let mask = slots.count - 1
      var slot = Int(truncatingIfNeeded: hash) & mask
      while slots[slot].number != 0 {
        if slots[slot].hash == hash && matches(Int(slots[slot].number) - 1) {
          return (Int(slots[slot].number) - 1, slot)
        }
        slot = (slot + 1) & mask
      }
      return (nil, slot)
    }
  }

  /// Puts an entry at the slot `find` gave.
  mutating func insert(_ hash: UInt64, number: Int, at slot: Int) {
    slots[slot] = Slot(hash: hash, number: Int32(number + 1))
    count += 1
    guard count * 2 > slots.count else { return }
    let old = slots
    slots = [Slot](repeating: Slot(hash: 0, number: 0), count: old.count * 2)
    for entry in old where entry.number != 0 {
      var slot = Int(truncatingIfNeeded: entry.hash) & (slots.count - 1)
      while slots[slot].number != 0 { slot = (slot + 1) & (slots.count - 1) }
      slots[slot] = entry
    }
  }

  /// A quick hash of bytes, eight at a time (for these tables only: not stable across
  /// versions).
  static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
    guard let base = bytes.baseAddress else { return 0 }
    let raw = UnsafeRawPointer(base)
    var hash = UInt64(bytes.count) &* 0x9E37_79B9_7F4A_7C15
    var i = 0
    while i + 8 <= bytes.count {
      hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xBF58_476D_1CE4_E5B9
      hash ^= hash >> 31
      i += 8
    }
    var tail: UInt64 = 0
    while i < bytes.count {
      tail = tail << 8 | UInt64(bytes[i])
      i += 1
    }
    hash = (hash ^ tail) &* 0x94D0_49BB_1331_11EB
    return hash ^ hash >> 29
  }
}

/// A calculator over incident facts that can be split: parts fed with disjoint sets of
/// incidents and merged give what one fed with all of them gives.
public protocol FactsReducer: Sendable {
  /// The facts it reads; a reader may leave the others out.
  var needs: FactsNeeds { get }
  mutating func add(_ facts: IncidentFacts)
  mutating func merge(_ other: Self)
}

extension FactsReducer {
  public var needs: FactsNeeds { .all }
}

/// Facts that not every report reads (the rest are always there).
public struct FactsNeeds: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }

  public static let team = FactsNeeds(rawValue: 1)
  public static let region = FactsNeeds(rawValue: 2)
  public static let cause = FactsNeeds(rawValue: 4)
  public static let status = FactsNeeds(rawValue: 8)
  public static let id = FactsNeeds(rawValue: 16)
  public static let impactType = FactsNeeds(rawValue: 32)
  /// Time on hold, as itsm-escalate counted it.
  public static let hold = FactsNeeds(rawValue: 64)
  public static let all: FactsNeeds = [.team, .region, .cause, .status, .id, .impactType, .hold]
}

/// Computes the operational metrics of REFERENCE.md over the incidents opened in a window,
/// per group. Pure: feed it facts, ask for records.
public struct MetricsCalculator: FactsReducer {
  public let since: Timestamp?
  public let until: Timestamp?
  public let dimensions: [MetricDimension]
  public let variant: MTTRVariant
  /// Whether incidents first resolved in the window count for the reopen and shift-left
  /// rates (off for reports about openings only).
  public var countsResolutions = true
  /// How far back an earlier incident makes one a repeat.
  public var repeatWindow = DurationValue(seconds: 30 * 86_400)
  /// Whether to find repeats (off where no repeat rate is shown: a key per incident costs).
  public var findsRepeats = true

  private var table: GroupTable
  private var groups: [Accumulator] = []
  /// Openings of incidents with a root cause, by the numbers of their normalized cause and
  /// service. Repeats are found at the end, so input need not be sorted.
  private var openings: [CauseOpening] = []
  private var causes = StringNumbers()
  private var services = StringNumbers()
  /// Cause numbers by the entries of one reader's cause key cache; -1 for one not seen yet.
  private var fromCache: (cache: UInt64, numbers: [Int32]) = (0, [])

  public init(since: Timestamp?, until: Timestamp?, dimensions: [MetricDimension], variant: MTTRVariant) {
    self.since = since
    self.until = until
    self.dimensions = dimensions
    self.variant = variant
    table = GroupTable(dimensions)
  }

  /// Adds one incident: to the figures about incidents opened in the window when it opened
  /// in it, to those about resolved incidents (reopen and shift-left rates) when it was first
  /// resolved in it, and as an earlier occurrence of its cause for repeats in any case.
  public mutating func add(_ facts: IncidentFacts) {
    var index = -1
    if contains(facts.openedAt) {
      index = group(of: facts, at: facts.openedAt)
      groups[index].addOpened(facts, variant: variant)
    }
    if countsResolutions, let resolved = facts.firstResolvedAt, contains(resolved) {
      groups[group(of: facts, at: resolved)].addResolved(facts)
    }
    if findsRepeats, let cause = facts.causeKey {
      openings.append(
        CauseOpening(
          cause: number(of: cause, facts.causeOrigin),
          service: services.number(of: facts.service, hash: StringNumbers.hash(facts.service)), group: Int32(index),
          opened: facts.openedAt.seconds))
    }
  }

  /// The number of a cause: by its entry in the cache of the reader that feeds this
  /// calculator (the first cache seen) when it has one, else looked up.
  private mutating func number(of cause: String, _ origin: CauseOrigin?) -> Int32 {
    guard let origin else { return causes.number(of: cause, hash: StableHash.fnv1a(cause)) }
    guard origin.cache != 0 else { return causes.number(of: cause, hash: origin.hash) }
    if fromCache.cache == 0 { fromCache.cache = origin.cache }
    guard origin.cache == fromCache.cache else { return causes.number(of: cause, hash: origin.hash) }
    if origin.entry < fromCache.numbers.count, fromCache.numbers[origin.entry] >= 0 {
      return fromCache.numbers[origin.entry]
    }
    let number = causes.number(of: cause, hash: origin.hash)
    if origin.entry >= fromCache.numbers.count {
      fromCache.numbers.append(contentsOf: repeatElement(-1, count: origin.entry + 1 - fromCache.numbers.count))
    }
    fromCache.numbers[origin.entry] = number
    return number
  }

  /// The group columns, and root causes when it finds repeats.
  public var needs: FactsNeeds {
    var needs: FactsNeeds = findsRepeats ? [.cause] : []
    if dimensions.contains(.team) { needs.insert(.team) }
    if dimensions.contains(.region) { needs.insert(.region) }
    if dimensions.contains(.impactType) { needs.insert(.impactType) }
    return needs
  }

  /// Adds what another calculator with the same settings counted.
  public mutating func merge(_ other: MetricsCalculator) {
    // The other's group numbers, as this one numbers them.
    var renumbered: [Int] = []
    for index in other.groups.indices {
      let (slot, isNew) = table.slot(forKey: other.table.keys[index])
      if isNew { groups.append(Accumulator()) }
      groups[slot].merge(other.groups[index])
      renumbered.append(slot)
    }
    let causeRenumbered = zip(other.causes.strings, other.causes.hashes).map { causes.number(of: $0, hash: $1) }
    let serviceRenumbered = zip(other.services.strings, other.services.hashes).map { services.number(of: $0, hash: $1) }
    openings.reserveCapacity(openings.count + other.openings.count)
    for o in other.openings {
      openings.append(
        CauseOpening(
          cause: causeRenumbered[Int(o.cause)], service: serviceRenumbered[Int(o.service)],
          group: o.group < 0 ? -1 : Int32(renumbered[Int(o.group)]), opened: o.opened))
    }
  }

  func contains(_ time: Timestamp) -> Bool {
    (since.map { time >= $0 } ?? true) && (until.map { time < $0 } ?? true)
  }

  private mutating func group(of facts: IncidentFacts, at time: Timestamp) -> Int {
    let (index, isNew) = table.slot(of: facts, at: time)
    if isNew { groups.append(Accumulator()) }
    return index
  }

  /// One `metric` record per group, sorted by the group values (absent values last).
  public func records() -> [JSONObject] {
    var totals = groups
    // The costly part of the end, on every core: the repeats, and each group's percentiles.
    let repeats = ResultSlots<[Int]>(count: 1)
    let summaries = ResultSlots<Summary>(count: 2 * totals.count)
    let (openings, causeCount, serviceCount, window) = (
      openings, causes.strings.count, services.strings.count, repeatWindow.seconds
    )
    let groups = groups
    DispatchQueue.concurrentPerform(iterations: 1 + 2 * groups.count) { task in
      if task == 0 {
        repeats.set(
          0,
          .success(
            CauseOpening.repeats(
              in: openings, causes: causeCount, services: serviceCount, groups: groups.count, within: window)))
      } else {
        let group = groups[(task - 1) / 2]
        summaries.set(task - 1, .success(Summary(task % 2 == 1 ? group.ttaMinutes : group.ttrMinutes)))
      }
    }
    // Every task above sets its slot to a success: these cannot throw.
    let (repeatCounts, summary) = (try! repeats.values()[0], try! summaries.values())
    for (group, count) in repeatCounts.enumerated() { totals[group].repeats += count }
    return table.ordered.map { index in
      var record = totals[index].record(
        group: table.object(index), variant: variant, since: since, until: until,
        summaries: (summary[2 * index], summary[2 * index + 1]))
      if !findsRepeats { record["repeat_rate"] = nil }
      return record
    }
  }
}

/// An incident's opening, by the number of its service and cause, with the group it counts
/// in (-1: before the window).
struct CauseOpening: Sendable {
  var cause: Int32
  var service: Int32
  var group: Int32
  var opened: Int64

  /// Repeats per group (of `groups`): openings of a cause at a service within `window`
  /// seconds after the one before it. The openings are put in order of cause and service by
  /// stable counting passes (linear), which keep each pair's openings in the order they came,
  /// the table's: mostly that of time already, so a pair's run is sorted by time only when it
  /// is not.
  static func repeats(
    in openings: [CauseOpening], causes: Int, services: Int, groups: Int, within window: Int64
  ) -> [Int] {
    var counts = [Int](repeating: 0, count: groups)
    guard openings.count > 1 else { return counts }
    // Positions rather than copies (a million openings are 24 MB, their positions 4 MB): one
    // pass by the pair's number when there are no more pairs than openings (or few); else one
    // by service, then one by cause, which keeps the order by service within each cause.
    precondition(openings.count <= Int(Int32.max), "too many openings to number")
    var order =
      causes * services <= max(openings.count, 1 << 16)
      ? positions(of: openings, buckets: causes * services) { Int($0.cause) * services + Int($0.service) }
      : positions(
        of: openings, in: positions(of: openings, buckets: services) { Int($0.service) }, buckets: causes
      ) { Int($0.cause) }
    openings.withUnsafeBufferPointer { all in
      order.withUnsafeMutableBufferPointer { order in
        var start = 0
        while start < order.count {
          let first = all[Int(order[start])]
          var end = start + 1
          var inOrder = true
          while end < order.count {
            let o = all[Int(order[end])]
            guard o.cause == first.cause && o.service == first.service else { break }
            if o.opened < all[Int(order[end - 1])].opened { inOrder = false }
            end += 1
          }
          if end - start > 1 {
            var run = UnsafeMutableBufferPointer(rebasing: order[start..<end])
            if !inOrder { run.sort { all[Int($0)].opened < all[Int($1)].opened } }
            for i in 1..<run.count {
              let (o, before) = (all[Int(run[i])], all[Int(run[i - 1])])
              if o.group >= 0 && o.opened - before.opened <= window { counts[Int(o.group)] += 1 }
            }
          }
          start = end
        }
      }
    }
    return counts
  }

  /// The positions of the openings (of those at `within`, taken in its order, or of all) in
  /// order of `key` (in 0..<buckets), those of one key in the order taken: a counting sort.
  private static func positions(
    of openings: [CauseOpening], in within: [Int32]? = nil, buckets: Int, by key: (CauseOpening) -> Int
  ) -> [Int32] {
    var next = [Int](repeating: 0, count: buckets + 1)
    for o in openings { next[key(o) + 1] += 1 }
    for i in 0..<buckets { next[i + 1] += next[i] }
    return [Int32](unsafeUninitializedCapacity: openings.count) { out, count in
      func place(_ position: Int) {
        let k = key(openings[position])
        (out.baseAddress! + next[k]).initialize(to: Int32(position))
        next[k] += 1
      }
      if let within {
        for position in within { place(Int(position)) }
      } else {
        for position in openings.indices { place(position) }
      }
      count = openings.count
    }
  }
}

/// Numbers for strings, in the order first seen, found by a hash the caller gives (worked out
/// once per distinct string where it can be): a table of a few thousand causes or a few
/// services stays in the processor's cache, where one of every pair of them would not.
struct StringNumbers: Sendable {
  private(set) var strings: [String] = []
  private(set) var hashes: [UInt64] = []
  private var slots = HashSlots()

  mutating func number(of string: String, hash: UInt64) -> Int32 {
    let (found, slot) = strings.withUnsafeBufferPointer { strings in slots.find(hash) { strings[$0] == string } }
    if let found { return Int32(found) }
    strings.append(string)
    hashes.append(hash)
    slots.insert(hash, number: strings.count - 1, at: slot)
    return Int32(strings.count - 1)
  }

  /// The quick hash of a short string such as a service name.
  static func hash(_ string: String) -> UInt64 {
    var string = string
    return string.withUTF8 { HashSlots.hash($0) }
  }
}

/// The groups of a report by their key values: created on first sight, listed in the order
/// of their values (absent values last). The lookup joins the values into one string: for one
/// or two short values that is a small string, with no allocation per incident.
struct GroupTable: Sendable {
  let dimensions: [MetricDimension]
  private var index: [String: Int] = [:]
  private(set) var keys: [[String?]] = []

  init(_ dimensions: [MetricDimension]) { self.dimensions = dimensions }

  /// The index of the incident's group at `time`, and whether the group is new.
  mutating func slot(of facts: IncidentFacts, at time: Timestamp) -> (index: Int, isNew: Bool) {
    let code = GroupTable.code(of: facts, dimensions)
    if let code, code < byCode.count, byCode[code] >= 0 { return (Int(byCode[code]), false) }
    let found = slot(forKey: dimensions.map { $0.value(of: facts, at: time) })
    if let code, code < byCode.count { byCode[code] = Int32(found.index) }
    return found
  }

  /// Groups by a number instead of a key string, when every dimension is a small enum (there
  /// are three such, so the numbers are below 16^3); -1 for a number not seen yet.
  private lazy var byCode = [Int32](repeating: -1, count: 1 << (4 * min(dimensions.count, 3)))

  /// A number for the incident's group when every dimension is one of a few values
  /// (priority, tier, impact type), so that most incidents find their group without a
  /// string being built; nil otherwise.
  private static func code(of facts: IncidentFacts, _ dimensions: [MetricDimension]) -> Int? {
    var code = 0
    for dimension in dimensions {
      switch dimension {
      case .priority: code = code * 16 + facts.priority.rawValue
      case .tier: code = code * 16 + (facts.tier.flatMap { SupportTier.allCases.firstIndex(of: $0) } ?? 15)
      case .impactType: code = code * 16 + (facts.impactType.flatMap { ImpactType.allCases.firstIndex(of: $0) } ?? 15)
      default: return nil
      }
    }
    return code
  }

  /// The index of the group with these values, and whether the group is new.
  mutating func slot(forKey values: [String?]) -> (index: Int, isNew: Bool) {
    var joined = ""
    for value in values { joined += (value ?? "\u{0}") + "\u{1F}" }
    if let existing = index[joined] { return (existing, false) }
    index[joined] = keys.count
    keys.append(values)
    return (keys.count - 1, true)
  }

  /// Group indexes in the order of their values.
  var ordered: [Int] {
    keys.indices.sorted { a, b in
      for (x, y) in zip(keys[a], keys[b]) where x != y { return (x ?? "\u{10FFFF}") < (y ?? "\u{10FFFF}") }
      return false
    }
  }

  /// The `group` object of a record.
  func object(_ i: Int) -> JSONObject {
    var group = JSONObject()
    for (dimension, value) in zip(dimensions, keys[i]) {
      group.add(dimension.rawValue, value.map(JSONValue.string) ?? .null)
    }
    return group
  }
}

/// Running totals of one group.
struct Accumulator: Sendable {
  var incidents = 0
  var ttaMinutes: [Double] = []
  var ttrMinutes: [Double] = []
  var resolved = 0
  var reopened = 0
  var shiftLeft = 0
  var repeats = 0
  var lossMinutes = 0.0
  var cost = 0.0
  var escalated = 0
  var escalatedByTimeout = 0
  var escalatedByHand = 0
  /// Incidents whose escalation split is not known: the split rates are left out when any.
  var escalationSplitUnknown = 0

  /// Counts an incident opened in the window.
  mutating func addOpened(_ f: IncidentFacts, variant: MTTRVariant) {
    incidents += 1
    if let ack = f.acknowledgedAt { ttaMinutes.append(ack.minutes(since: f.openedAt)) }
    switch variant {
    case .resolve:
      if let end = f.firstResolvedAt { ttrMinutes.append(end.minutes(since: f.openedAt)) }
    case .restore:
      if let end = f.firstResolvedAt { ttrMinutes.append(max(0, end.minutes(since: f.startedAt ?? f.openedAt))) }
    case .respond:
      if let first = f.firstHumanActionAt { ttrMinutes.append(first.minutes(since: f.openedAt)) }
    }
    lossMinutes += f.productivityLossMinutes ?? 0
    cost += f.financialImpact ?? 0
    if f.escalated { escalated += 1 }
    if f.escalatedByTimeout { escalatedByTimeout += 1 }
    if f.escalatedByHand { escalatedByHand += 1 }
    if !f.escalationSplitKnown { escalationSplitUnknown += 1 }
  }

  /// Adds the counts of the same group from another part of the incidents.
  mutating func merge(_ o: Accumulator) {
    incidents += o.incidents
    ttaMinutes += o.ttaMinutes
    ttrMinutes += o.ttrMinutes
    resolved += o.resolved
    reopened += o.reopened
    shiftLeft += o.shiftLeft
    repeats += o.repeats
    lossMinutes += o.lossMinutes
    cost += o.cost
    escalated += o.escalated
    escalatedByTimeout += o.escalatedByTimeout
    escalatedByHand += o.escalatedByHand
    escalationSplitUnknown += o.escalationSplitUnknown
  }

  /// Counts an incident first resolved in the window, for the reopen and shift-left rates.
  mutating func addResolved(_ f: IncidentFacts) {
    resolved += 1
    if f.reopenCount > 0 { reopened += 1 }
    if f.tier == .l0 || f.tier == .l1 { shiftLeft += 1 }
  }

  /// The group's record; `summaries` are those of its times to acknowledge and to restore.
  func record(
    group: JSONObject, variant: MTTRVariant, since: Timestamp?, until: Timestamp?,
    summaries: (tta: Summary, ttr: Summary)
  ) -> JSONObject {
    var o = JSONObject()
    o.add("kind", .string("metric"))
    o.add("group", .object(group))
    o.add("since", since.map { .string($0.rfc3339) })
    o.add("until", until.map { .string($0.rfc3339) })
    o.add("incidents", .int(Int64(incidents)))
    o.add("acknowledged", .int(Int64(ttaMinutes.count)))
    o.add("unacknowledged", .int(Int64(incidents - ttaMinutes.count)))
    let tta = summaries.tta
    o.add("mtta_mean_min", tta.mean)
    o.add("mtta_p50_min", tta.p50)
    o.add("mtta_p90_min", tta.p90)
    o.add("mttr_variant", .string(variant.rawValue))
    o.add("mttr_count", .int(Int64(ttrMinutes.count)))
    let ttr = summaries.ttr
    o.add("mttr_mean_min", ttr.mean)
    o.add("mttr_p50_min", ttr.p50)
    o.add("mttr_p90_min", ttr.p90)
    o.add("resolved", .int(Int64(resolved)))
    o.add("reopen_rate", ratio(reopened, resolved))
    o.add("shift_left_rate", ratio(shiftLeft, resolved))
    o.add("repeat_rate", ratio(repeats, incidents))
    o.add("escalation_rate", ratio(escalated, incidents))
    if escalationSplitUnknown == 0 {
      o.add("escalation_timeout_rate", ratio(escalatedByTimeout, incidents))
      o.add("escalation_manual_rate", ratio(escalatedByHand, incidents))
    }
    o.add("productivity_loss_hours", .double(round(lossMinutes / 60, 1)))
    o.add("financial_impact", .double(round(cost, 2)))
    return o
  }

  private func ratio(_ part: Int, _ whole: Int) -> JSONValue? {
    whole == 0 ? nil : .double(round(Double(part) / Double(whole), 4))
  }
}

/// Mean and exact percentiles of a list of minutes (linear interpolation between the closest
/// ranks, as numpy and pandas do by default); nil for an empty list, never NaN.
struct Summary: Sendable {
  let mean: JSONValue?
  let p50: JSONValue?
  let p90: JSONValue?

  init(_ values: [Double]) {
    guard !values.isEmpty else {
      (mean, p50, p90) = (nil, nil, nil)
      return
    }
    // The values are whole seconds in minutes: added up as seconds, exactly, the mean does
    // not depend on the order they came in (threads and parts of the table add in any order).
    let seconds = values.reduce(Int64(0)) { $0 + Int64(($1 * 60).rounded()) }
    mean = .double(round(Double(seconds) / 60 / Double(values.count), 1))
    // Selection, not a sort: the two values around each rank, in linear time.
    var scratch = values
    let p90 = Summary.percentile(selectingIn: &scratch, 0.9, below: scratch.count)
    // Selecting the 90th put everything up to its rank in front: the median is there.
    let rank90 = Int((0.9 * Double(values.count - 1)).rounded(.down))
    self.p50 = .double(round(Summary.percentile(selectingIn: &scratch, 0.5, below: rank90 + 1), 1))
    self.p90 = .double(round(p90, 1))
  }

  /// The percentile of all `values` (as `percentile` over them sorted), found by
  /// rearranging `values[..<limit]`, which must hold the ranks the percentile needs; after
  /// it, the values up to the lower rank are before it.
  static func percentile(selectingIn values: inout [Double], _ p: Double, below limit: Int) -> Double {
    let count = values.count
    let position = p * Double(count - 1)
    let lower = Int(position.rounded(.down))
    values.withUnsafeMutableBufferPointer { select(lower, in: $0, 0, limit - 1) }
    let low = values[lower]
    guard lower + 1 < count else { return low }
    // The next rank is the smallest value after the lower one.
    var high = values[lower + 1]
    for i in (lower + 2)..<max(lower + 2, count) where values[i] < high { high = values[i] }
    return low + (high - low) * (position - Double(lower))
  }

  /// Rearranges `a[from...to]` so that `a[k]` holds the value a sort would put there, with
  /// nothing greater before it and nothing smaller after it: a three-way quickselect (many
  /// equal minutes cost nothing) with the median of three as pivot.
  private static func select(_ k: Int, in a: UnsafeMutableBufferPointer<Double>, _ from: Int, _ to: Int) {
    var (left, right) = (from, to)
    while left < right {
      let mid = left + (right - left) / 2
      let pivot = max(min(a[left], a[mid]), min(max(a[left], a[mid]), a[right]))
      var (lt, i, gt) = (left, left, right)
      while i <= gt {
        if a[i] < pivot {
          a.swapAt(lt, i)
          lt += 1
          i += 1
        } else if a[i] > pivot {
          a.swapAt(i, gt)
          gt -= 1
        } else {
          i += 1
        }
      }
      if k < lt { right = lt - 1 } else if k > gt { left = gt + 1 } else { return }
    }
  }

  static func percentile(_ sorted: [Double], _ p: Double) -> Double {
    let position = p * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
  }
}

func round(_ value: Double, _ places: Int) -> Double {
  let scale = pow(10, Double(places))
  return (value * scale).rounded() / scale
}
