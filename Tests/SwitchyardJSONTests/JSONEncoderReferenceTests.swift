import Foundation
import XCTest

@testable import SwitchyardJSON

/// The encoder against an independent reference: Foundation's `JSONEncoder` must produce the same
/// document (compared as parsed values, members in any order, numbers by value) for every shape
/// `Codable` can build, custom containers included; and `JSON.encode`'s bytes must be those of
/// `encodeToJSON(_:).serialized()` (the two paths out of the encoder's tree).
final class JSONEncoderReferenceTests: XCTestCase {
    enum Mode: String, Codable { case fast, best }

    struct Leaf: Codable {
        var name: String
        var score: Double
        var count: Int
        var mode: Mode
        var note: String?
    }

    struct Numbers: Codable {
        var i8: Int8 = -8
        var i16: Int16 = -1600
        var i32: Int32 = -320_000
        var i64: Int64 = -9_007_199_254_740_993
        var u8: UInt8 = 250
        var u16: UInt16 = 65_000
        var u32: UInt32 = 4_000_000_000
        var u64: UInt64 = 9_007_199_254_740_993
        var uint: UInt = 42
        var float: Float = 0.5
        var double: Double = -1.25e-7
        var whole: Double = 3
        var flag = true
    }

    /// A value through its own single-value container, as wrappers and enums encode.
    struct Wrapper: Codable {
        var inner: Leaf
        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(inner)
        }
    }

    /// Nested keyed and unkeyed containers, a key re-opened, a key written twice (the last value
    /// wins), `superEncoder`, an explicit null, and an encoder that writes nothing.
    struct Custom: Encodable {
        enum Key: String, CodingKey { case meta, list, again, twice, parent, absent, empty }
        struct Nothing: Encodable { func encode(to encoder: any Encoder) throws {} }

        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            var meta = c.nestedContainer(keyedBy: Key.self, forKey: .meta)
            try meta.encode("first", forKey: .again)
            var list = c.nestedUnkeyedContainer(forKey: .list)
            try list.encode(1)
            try list.encodeNil()
            var inner = list.nestedContainer(keyedBy: Key.self)
            try inner.encode(true, forKey: .twice)
            var deeper = list.nestedUnkeyedContainer()
            try deeper.encode("x")
            try list.encode(Leaf(name: "in list", score: 0.1, count: 2, mode: .fast, note: nil))
            var metaAgain = c.nestedContainer(keyedBy: Key.self, forKey: .meta)
            try metaAgain.encode(2, forKey: .list)
            try c.encode(1, forKey: .twice)
            try c.encode("second", forKey: .twice)
            try Leaf(name: "parent", score: 2, count: 3, mode: .best, note: "n").encode(to: c.superEncoder())
            try c.encodeNil(forKey: .absent)
            try c.encode(Nothing(), forKey: .empty)
        }
    }

    struct Document: Codable {
        var title: String
        var leaves: [Leaf]
        var matrix: [[Int]]
        var byName: [String: Leaf]
        var counts: [String: Int]
        var numbers: Numbers
        var wrapped: Wrapper
        var optionalPresent: Leaf?
        var optionalAbsent: Leaf?
        var modes: [Mode]
        var empty: [String]
    }

    static func document() -> Document {
        let leaves = (0..<5).map {
            Leaf(
                name: "leaf \($0) \"quoted\" \\ tab\t é €", score: Double($0) / 3, count: $0 * 1000,
                mode: $0 % 2 == 0 ? .fast : .best, note: $0 % 2 == 0 ? nil : "note\n\($0)")
        }
        return Document(
            title: "a document", leaves: leaves, matrix: [[1, 2], [], [3]],
            byName: ["one": leaves[1], "two": leaves[2]], counts: ["a": 1, "b": -2], numbers: Numbers(),
            wrapped: Wrapper(inner: leaves[3]), optionalPresent: leaves[4], optionalAbsent: nil, modes: [.fast, .best],
            empty: [])
    }

    /// Numbers by value, objects in any order: how two encoders of the same value may differ.
    func normalized(_ json: JSON) -> JSON {
        switch json {
        case .integer(let i): .double(Double(i))
        case .array(let items): .array(items.map(normalized))
        case .object(let object): .object(JSONObject(object.members.map { (key: $0.key, value: normalized($0.value)) }))
        default: json
        }
    }

    func assertMatchesFoundation<T: Encodable>(_ value: T, file: StaticString = #filePath, line: UInt = #line) throws {
        let ours = try JSON.encode(value)
        let reference = try JSONEncoder().encode(value)
        XCTAssertEqual(
            normalized(try JSON.parse(ours)), normalized(try JSON.parse(Array(reference))),
            "ours: \(String(decoding: ours, as: UTF8.self))\nFoundation: \(String(decoding: reference, as: UTF8.self))",
            file: file, line: line)
        XCTAssertEqual(ours, try JSON.encodeToJSON(value).serialized(), file: file, line: line)
    }

    func testEveryShapeMatchesFoundation() throws {
        try assertMatchesFoundation(Self.document())
        try assertMatchesFoundation(Custom())
        try assertMatchesFoundation(Self.document().leaves)
        try assertMatchesFoundation(Mode.best)
        try assertMatchesFoundation("top-level string")
        try assertMatchesFoundation(7)
        try assertMatchesFoundation([Leaf?.none, nil])
    }

    func testJSONValuesInsideEncodableValuesAreWrittenAsThemselves() throws {
        struct Holder: Encodable {
            var raw: JSON
            var list: [JSON]
            var maybe: JSON?
        }
        let raw: JSON = ["k": [1, "two", nil, 2.5, ["nested": true]]]
        let text = String(decoding: try JSON.encode(Holder(raw: raw, list: [raw, .null], maybe: nil)), as: UTF8.self)
        XCTAssertEqual(
            text,
            #"{"raw":{"k":[1,"two",null,2.5,{"nested":true}]},"list":[{"k":[1,"two",null,2.5,{"nested":true}]},null]}"#)
        XCTAssertEqual(try JSON.encodeToJSON(raw), raw)
    }

    func testAReplacedMemberIsWrittenInPlaceAndNothingElseChanges() throws {
        let leaf = Self.document().leaves[1]
        let replaced = try JSON.encode(leaf, replacingMember: "mode", with: ["hand": "built"])
        var expected = try JSON.encodeToJSON(leaf)
        if case .object(var object) = expected {
            object["mode"] = ["hand": "built"]
            expected = .object(object)
        }
        XCTAssertEqual(replaced, expected.serialized())
        XCTAssertEqual(try JSON.encode(leaf, replacingMember: "absent", with: 1), try JSON.encode(leaf))
        XCTAssertEqual(try JSON.encode([leaf], replacingMember: "mode", with: 1), try JSON.encode([leaf]))
        XCTAssertEqual(try JSON.encode(Mode.fast, replacingMember: "mode", with: 1), try JSON.encode(Mode.fast))
    }

    func testANonFiniteNumberNamesItsPath() {
        struct Scored: Encodable {
            var items: [Leaf]
        }
        var items = Self.document().leaves
        items[2].score = .infinity
        XCTAssertThrowsError(try JSON.encode(Scored(items: items))) { error in
            guard case EncodingError.invalidValue(_, let context) = error else {
                return XCTFail("\(error)")
            }
            XCTAssertEqual(context.codingPath.map(\.stringValue), ["items", "2", "score"])
            XCTAssertEqual(context.codingPath[1].intValue, 2)
        }
        XCTAssertThrowsError(try JSON.encode(Numbers(float: .nan))) { error in
            guard case EncodingError.invalidValue(_, let context) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(context.codingPath.map(\.stringValue), ["float"])
        }
    }

    /// The definition the word-at-a-time writer must reproduce: one byte at a time.
    func referenceQuoted(_ string: String) -> [UInt8] {
        var out: [UInt8] = [0x22]
        for b in string.utf8 {
            switch b {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0..<0x20: out += Array(String(format: "\\u%04x", b).utf8)
            default: out.append(b)
            }
        }
        return out + [0x22]
    }

    func testStringsAreEscapedAsOneByteAtATimeWould() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces: [String] = [
            "a", "Z", " ", "\"", "\\", "\n", "\r", "\t", "\u{0}", "\u{1F}", "\u{7F}", "é", "€", "😀", "/",
        ]
        // Dense escapes (JSON inside a JSON string, a quote every few bytes) and none at all.
        let dense = [
            String(decoding: try JSON.encode(Self.document()), as: UTF8.self), String(repeating: "\"", count: 33),
            String(repeating: "ab\\", count: 20), String(repeating: "plain text ", count: 9),
        ]
        for string in dense {
            var out: [UInt8] = []
            JSON.writeString(string, to: &out)
            XCTAssertEqual(out, referenceQuoted(string))
        }
        for length in 0..<48 {
            for _ in 0..<40 {
                let string = (0..<length).map { _ in pieces.randomElement(using: &generator)! }.joined()
                var out: [UInt8] = []
                JSON.writeString(string, to: &out)
                XCTAssertEqual(out, referenceQuoted(string), string.debugDescription)
                XCTAssertEqual(try JSON.parse(out), .string(string))
            }
        }
    }

    func testTheWordTestFindsExactlyTheBytesThatNeedEscaping() {
        for filler: UInt8 in [0x21, 0x41, 0x7F, 0x80, 0xC3, 0xFF] {
            for position in 0..<8 {
                for byte in 0...255 {
                    var bytes = [UInt8](repeating: filler, count: 8)
                    bytes[position] = UInt8(byte)
                    let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                    let expected = byte < 0x20 || byte == 0x22 || byte == 0x5C
                    XCTAssertEqual(
                        JSONParser.needsAttention(word), expected, "byte \(byte) at \(position) among \(filler)")
                }
            }
        }
    }
}
