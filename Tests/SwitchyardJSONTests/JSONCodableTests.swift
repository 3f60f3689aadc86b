import XCTest

@testable import SwitchyardJSON

final class JSONCodableTests: XCTestCase {
    struct Message: Codable, Equatable {
        var role: String
        var content: String
    }

    struct Request: Codable, Equatable {
        enum Mode: String, Codable { case fast, best }
        var model: String
        var messages: [Message]
        var maxTokens: Int?
        var temperature: Double
        var mode: Mode
        var tags: [String: Int]
        var extra: JSON?

        enum CodingKeys: String, CodingKey {
            case model, messages, temperature, mode, tags, extra
            case maxTokens = "max_tokens"
        }
    }

    func testRoundTripKeepsEveryField() throws {
        let request = Request(
            model: "gpt-4o", messages: [.init(role: "user", content: "hi \"there\"")], maxTokens: 256,
            temperature: 0.25, mode: .best, tags: ["a": 1], extra: ["k": [1, "two", nil]])
        let bytes = try JSON.encode(request)
        XCTAssertEqual(try JSON.decode(Request.self, from: bytes), request)
    }

    func testEncodesInDeclarationOrderAndOmitsNil() throws {
        let request = Request(
            model: "m", messages: [], maxTokens: nil, temperature: 1, mode: .fast, tags: [:], extra: nil)
        let text = String(decoding: try JSON.encode(request), as: UTF8.self)
        XCTAssertEqual(text, #"{"model":"m","messages":[],"temperature":1,"mode":"fast","tags":{}}"#)
    }

    func testErrorsNameThePathOfTheBadField() {
        let cases: [(String, String)] = [
            (
                #"{"model":"m","messages":[{"role":"user","content":"x"},{"role":7,"content":"y"}],"temperature":1,"mode":"fast","tags":{}}"#,
                "messages[1].role: expected string, found number"
            ),
            (#"{"messages":[],"temperature":1,"mode":"fast","tags":{}}"#, "missing field \"model\""),
            (
                #"{"model":"m","messages":[],"temperature":"hot","mode":"fast","tags":{}}"#,
                "temperature: expected number, found string"
            ),
            (
                #"{"model":"m","messages":[],"temperature":1,"mode":"fast","tags":{},"max_tokens":1.5}"#,
                "max_tokens: 1.5 is not a whole number in range of Int"
            ),
            (
                #"{"model":"m","messages":[],"temperature":1,"mode":"fast","tags":{},"max_tokens":99999999999999999999}"#,
                "max_tokens: 1e+20 is not a whole number in range of Int"
            ),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try JSON.decode(Request.self, from: text)) { error in
                XCTAssertEqual(describeDecodingError(error), expected)
            }
        }
    }

    func testUnknownEnumValueIsAnError() {
        XCTAssertThrowsError(
            try JSON.decode(
                Request.self, from: #"{"model":"m","messages":[],"temperature":1,"mode":"slow","tags":{}}"#))
    }

    func testNonFiniteDoublesAreRejectedNotWritten() {
        XCTAssertThrowsError(try JSON.encode(["x": Double.infinity]))
        XCTAssertThrowsError(try JSON.encode([Double.nan]))
    }

    func testIntegersBeyondDoublePrecisionSurvive() throws {
        struct Counter: Codable, Equatable { var tokens: Int64 }
        let value = Counter(tokens: 9_007_199_254_740_993)  // 2^53 + 1: not representable as Double
        let decoded = try JSON.decode(
            Counter.self, from: try JSON.encode(value))
        XCTAssertEqual(decoded.tokens, value.tokens)
    }
}
