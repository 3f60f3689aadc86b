import XCTest

@testable import SwitchyardJSON

final class JSONParserTests: XCTestCase {
    func testParsesEveryKind() throws {
        let json = try JSON.parse(#" {"a": [1, -2, 3.5, 1e3, true, false, null, "s"], "b": {}} "#)
        XCTAssertEqual(json["a"]?[0], .integer(1))
        XCTAssertEqual(json["a"]?[1], .integer(-2))
        XCTAssertEqual(json["a"]?[2], .double(3.5))
        XCTAssertEqual(json["a"]?[3], .double(1000))
        XCTAssertEqual(json["a"]?[4], .bool(true))
        XCTAssertEqual(json["a"]?[6], .null)
        XCTAssertEqual(json["a"]?[7], .string("s"))
        XCTAssertEqual(json["b"], .object(JSONObject()))
    }

    func testIntegersStayExact() throws {
        XCTAssertEqual(try JSON.parse("9223372036854775807"), .integer(.max))
        XCTAssertEqual(try JSON.parse("-9223372036854775808"), .integer(.min))
        // One past Int64: no longer an exact integer, parsed as a double rather than wrapped.
        XCTAssertEqual(try JSON.parse("9223372036854775808"), .double(9_223_372_036_854_775_808))
        XCTAssertEqual(try JSON.parse("123456789012345678").int64Value, 123_456_789_012_345_678)
    }

    func testStringEscapesAndUnicode() throws {
        XCTAssertEqual(try JSON.parse(#""a\"b\\c\/d\n\t\r\b\f""#), .string("a\"b\\c/d\n\t\r\u{8}\u{c}"))
        XCTAssertEqual(try JSON.parse(#""\u00e9\u4e2d""#), .string("é中"))
        XCTAssertEqual(try JSON.parse(#""\ud83d\ude00""#), .string("😀"))
        XCTAssertEqual(try JSON.parse("\"héllo 😀\""), .string("héllo 😀"))
    }

    func testRejectsMalformedDocuments() {
        let bad: [(String, JSONParseError.Reason)] = [
            ("", .unexpectedEnd),
            ("{", .unexpectedEnd),
            ("[1,]", .unexpectedByte(UInt8(ascii: "]"))),
            ("{\"a\":1,}", .unexpectedByte(UInt8(ascii: "}"))),
            ("01", .trailingData),
            ("1.", .invalidNumber),
            ("-", .unexpectedEnd),
            ("1e", .invalidNumber),
            ("NaN", .unexpectedByte(UInt8(ascii: "N"))),
            ("tru", .unexpectedEnd),
            ("nul1", .unexpectedByte(UInt8(ascii: "1"))),
            ("\"abc", .unexpectedEnd),
            ("\"a\u{1}b\"", .controlCharacterInString),
            (#""\x""#, .invalidEscape),
            (#""\ud83d""#, .invalidUnicodeEscape),
            (#""\ude00""#, .invalidUnicodeEscape),
            (#"{"a":1,"a":2}"#, .duplicateKey("a")),
            ("[1] [2]", .trailingData),
            ("{1:2}", .unexpectedByte(UInt8(ascii: "1"))),
            ("1e999", .invalidNumber),
        ]
        for (text, reason) in bad {
            XCTAssertThrowsError(try JSON.parse(text), "\(text)") { error in
                XCTAssertEqual((error as? JSONParseError)?.reason, reason, "\(text)")
            }
        }
    }

    func testRejectsInvalidUTF8() {
        XCTAssertThrowsError(try JSON.parse([0x22, 0xC3, 0x28, 0x22])) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .invalidUTF8)
        }
    }

    func testNestingLimitStopsHostileDocuments() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertThrowsError(try JSON.parse(deep)) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .tooDeep(limit: JSON.maximumDepth))
        }
        let ok = String(repeating: "[", count: JSON.maximumDepth) + String(repeating: "]", count: JSON.maximumDepth)
        XCTAssertNoThrow(try JSON.parse(ok))
    }

    func testEveryStrictPrefixOfADocumentIsRejected() throws {
        let text = #"{"model":"gpt-4o","messages":[{"role":"user","content":"h\u00e9"}],"n":[1,2.5,-3e2,true,null]}"#
        XCTAssertNoThrow(try JSON.parse(text))
        let bytes = Array(text.utf8)
        for length in 0..<bytes.count {
            XCTAssertThrowsError(try JSON.parse(bytes[0..<length]), "prefix of length \(length)")
        }
    }

    func testErrorOffsetPointsAtTheProblem() {
        XCTAssertThrowsError(try JSON.parse(#"{"a": [1, 2, x]}"#)) { error in
            let parseError = error as! JSONParseError
            XCTAssertEqual(parseError.offset, 13)
            XCTAssertEqual(parseError.description, "invalid JSON at byte 13: unexpected character 'x'")
        }
    }
}
