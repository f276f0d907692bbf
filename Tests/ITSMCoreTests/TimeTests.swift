import Testing

@testable import ITSMCore

@Suite("timestamps and durations")
struct TimeTests {
  @Test func rfc3339WithOffsetsBecomesUTC() throws {
    #expect(TimestampParser.parseAbsolute("2026-11-01T09:30:00Z")?.rfc3339 == "2026-11-01T09:30:00Z")
    #expect(TimestampParser.parseAbsolute("2026-11-01T10:30:00+01:00")?.rfc3339 == "2026-11-01T09:30:00Z")
    #expect(TimestampParser.parseAbsolute("2026-11-01T01:30:00.123-08:00")?.rfc3339 == "2026-11-01T09:30:00Z")
    #expect(TimestampParser.parseAbsolute("2026-11-01")?.rfc3339 == "2026-11-01T00:00:00Z")
    #expect(TimestampParser.parseAbsolute("2024-02-29")?.rfc3339 == "2024-02-29T00:00:00Z")
    #expect(TimestampParser.parseAbsolute("1969-12-31T23:59:59Z")?.seconds == -1)
  }

  @Test(arguments: [
    "2026-13-01", "2026-02-30", "2025-02-29", "2026-11-01T25:00:00Z", "2026-11-01T09:30:00", "yesterday", "",
    "2026-11-01T09:30:00+0100",
  ])
  func malformedTimestampsAreRefused(text: String) {
    #expect(TimestampParser.parseAbsolute(text) == nil)
  }

  @Test func relativeAndNow() throws {
    let now = TimestampParser.parseAbsolute("2026-11-01T12:00:00Z")!
    #expect(try TimestampParser.parse("now", now: now) == now)
    #expect(try TimestampParser.parse("-2h", now: now).rfc3339 == "2026-11-01T10:00:00Z")
    #expect(try TimestampParser.parse("-7d", now: now).rfc3339 == "2026-10-25T12:00:00Z")
    #expect(throws: ITSMError.self) { try TimestampParser.parse("-2x", now: now) }
  }

  @Test func durations() throws {
    #expect(try DurationValue.parse("45s").seconds == 45)
    #expect(try DurationValue.parse("90m").seconds == 5400)
    #expect(try DurationValue.parse("1d12h").seconds == 129_600)
    #expect(try DurationValue.parse("2w").seconds == 1_209_600)
    for bad in ["", "10", "h", "1h1d", "1h1h", "-5m", "99999999999999999999d"] {
      #expect(throws: ITSMError.self, "\(bad)") { try DurationValue.parse(bad) }
    }
    #expect(DurationValue(seconds: 5400).description == "1h 30m")
    #expect(DurationValue(seconds: 90_061).description == "1d 1h")
  }

  @Test func civilDateRoundTripsOverCenturies() {
    for days in stride(from: Int64(-800_000), through: 800_000, by: 997) {
      let (y, m, d) = CivilDate.fromDays(days)
      #expect(CivilDate.toDays(y, m, d) == days)
    }
  }
}
