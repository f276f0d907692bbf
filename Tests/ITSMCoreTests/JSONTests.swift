import Testing

@testable import ITSMCore

@Suite("JSON parser and serializer")
struct JSONTests {
  @Test func parsesAndKeepsKeyOrder() throws {
    let value = try JSONParser.parse(#"{"b":1,"a":[true,null,-2.5e3,"x\n\u00e9\ud83d\ude00"],"c":{}}"#)
    guard case .object(let o) = value else {
      Issue.record("not an object")
      return
    }
    #expect(o.fields.map(\.key) == ["b", "a", "c"])
    #expect(o["a"] == .array([.bool(true), .null, .double(-2500), .string("x\né😀")]))
    #expect(JSONSerializer.string(value) == #"{"b":1,"a":[true,null,-2500.0,"x\né😀"],"c":{}}"#)
  }

  @Test(arguments: [
    ("{", "unexpected end of input"), ("{\"a\":1,}", "expected a quoted key"), ("[1 2]", "expected ',' or ']'"),
    ("01", "unexpected data after the JSON value"), ("\"\\x\"", "invalid escape"),
    ("\"\\ud800\"", "unpaired surrogate"),
    ("nul", "unexpected end of input"), ("1e999", "number out of range"), ("\"a\tb\"", "control character"),
  ])
  func rejectsMalformedJSON(text: String, message: String) {
    do {
      _ = try JSONParser.parse(text)
      Issue.record("accepted \(text)")
    } catch let error as JSONSyntaxError {
      #expect(error.message.contains(message), "\(error.message)")
    } catch {
      Issue.record("unexpected \(error)")
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
    #expect(throws: JSONSyntaxError.self) { try JSONParser.parse(deep) }
  }

  @Test func bigIntegersStayExact() throws {
    #expect(try JSONParser.parse("9007199254740993") == .int(9_007_199_254_740_993))
    #expect(try JSONParser.parse("-0") == .int(0))
  }

  @Test func serializerEscapesControlCharacters() {
    #expect(JSONSerializer.string(.string("a\u{01}\"\\")) == #""a\u0001\"\\""#)
    #expect(JSONSerializer.string(.double(.nan)) == "null")
  }
}
