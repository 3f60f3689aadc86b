import Foundation
import SwitchyardCore
import XCTest

@testable import SwitchyardJSON

/// Property tests: random documents survive serialize → parse unchanged, agree with
/// Foundation's parser, and random bytes never crash the parser.
final class JSONRoundTripTests: XCTestCase {

    static func randomString(_ rng: inout SplitMix64) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\"", "\\", "/", "\n", "\t", "\u{1}", "é", "中", "😀", "\u{7f}"]
        return String((0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
    }

    static func randomJSON(_ rng: inout SplitMix64, depth: Int = 0) -> JSON {
        switch Int.random(in: 0...(depth > 4 ? 4 : 6), using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2: return .integer(Int64.random(in: .min ... .max, using: &rng))
        case 3:
            let d = Double(bitPattern: UInt64.random(in: 0...UInt64.max, using: &rng))
            return d.isFinite && (d.rounded() != d || abs(d) >= 1e15) ? .double(d) : .double(0.5)
        case 4: return .string(randomString(&rng))
        case 5: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in randomJSON(&rng, depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) {
                object[randomString(&rng)] = randomJSON(&rng, depth: depth + 1)
            }
            return .object(object)
        }
    }

    func testSerializeThenParseIsIdentity() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<3000 {
            let value = Self.randomJSON(&rng)
            let bytes = value.serialized()
            XCTAssertEqual(try JSON.parse(bytes), value, String(decoding: bytes, as: UTF8.self))
        }
    }

    func testFoundationAcceptsWhatWeWriteAndReadsTheSameValues() throws {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<500 {
            let value = JSON.array([Self.randomJSON(&rng)])
            let bytes = value.serialized()
            let foundation = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
            let reserialized = try JSONSerialization.data(withJSONObject: foundation, options: [.fragmentsAllowed])
            // Foundation's output differs in formatting and number spelling; compare as values.
            let reparsed = try JSON.parse(Array(reserialized))
            XCTAssertTrue(Self.sameValue(reparsed, value), String(decoding: bytes, as: UTF8.self))
        }
    }

    static func sameValue(_ a: JSON, _ b: JSON) -> Bool {
        switch (a, b) {
        case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameValue)
        case (.object(let x), .object(let y)):
            return x.count == y.count && x.members.allSatisfy { m in y[m.key].map { sameValue(m.value, $0) } ?? false }
        case (.integer, _), (.double, _):
            guard let x = a.doubleValue, let y = b.doubleValue else { return false }
            return x == y || abs(x - y) <= abs(x) * 1e-15
        default: return a == b
        }
    }

    func testRandomBytesNeverCrash() {
        var rng = SplitMix64(seed: 99)
        let seeds = [#"{"a":[1,2,{"b":"c\u00e9"}],"d":-1.5e3}"#, "[true,false,null]", #""\ud83d\ude00""#].map {
            Array($0.utf8)
        }
        for i in 0..<20_000 {
            var bytes = seeds[i % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let position = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0...2, using: &rng) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
                }
                if bytes.isEmpty { break }
            }
            _ = try? JSON.parse(bytes)
        }
    }
}
