import Foundation
import SwitchyardCore
import XCTest

final class Base64Tests: XCTestCase {
    /// Seed of the randomised tests: `SWITCHYARD_TEST_SEED` when set (to replay a failure), else a
    /// fixed default; printed, and part of every failure message.
    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_SEED"].flatMap { UInt64($0) } ?? 0xB64_5EED
        print("Base64Tests: seed \(seed) (replay with SWITCHYARD_TEST_SEED=\(seed))")
        return seed
    }()

    /// RFC 4648 §10 test vectors.
    func testRFC4648Vectors() throws {
        let vectors = [
            ("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ]
        for (plain, encoded) in vectors {
            XCTAssertEqual(Base64.encode(Array(plain.utf8)), encoded)
            XCTAssertEqual(try Base64.decode(encoded), Array(plain.utf8))
        }
    }

    func testURLSafeAlphabetWithoutPadding() throws {
        let bytes: [UInt8] = [0xFB, 0xFF, 0xBF, 0xFE]
        XCTAssertEqual(Base64.encode(bytes), "+/+//g==")
        XCTAssertEqual(Base64.encode(bytes, alphabet: .urlSafe), "-_-__g")
        XCTAssertEqual(try Base64.decode("-_-__g"), bytes)
        XCTAssertEqual(try Base64.decode("+/+//g"), bytes)
    }

    func testWhitespaceAndLineBreaksAreIgnored() throws {
        XCTAssertEqual(try Base64.decode("Zm9v\r\nYmFy\n"), Array("foobar".utf8))
        XCTAssertEqual(try Base64.decode(" Zm9v YmE=\n"), Array("fooba".utf8))
    }

    func testInvalidInputIsRejectedWithItsOffset() {
        XCTAssertThrowsError(try Base64.decode("Zm9v!mFy")) { error in
            XCTAssertEqual(error as? Base64Error, .invalidByte(offset: 4, byte: UInt8(ascii: "!")))
        }
        XCTAssertThrowsError(try Base64.decode("Zm9vY")) { XCTAssertEqual($0 as? Base64Error, .invalidLength) }
        XCTAssertThrowsError(try Base64.decode("Zg=")) { XCTAssertEqual($0 as? Base64Error, .invalidPadding) }
        XCTAssertThrowsError(try Base64.decode("Zg==Zg==")) { error in
            XCTAssertEqual(error as? Base64Error, .invalidByte(offset: 4, byte: UInt8(ascii: "Z")))
        }
        XCTAssertThrowsError(try Base64.decode("====")) { XCTAssertEqual($0 as? Base64Error, .invalidPadding) }
    }

    /// Property: decode(encode(x)) == x for random lengths and contents, in both alphabets, and
    /// with line breaks inserted at random places.
    func testRoundTripProperty() throws {
        var generator = SplitMix64(seed: Self.seed)
        for i in 0..<2000 {
            let count = Int.random(in: 0..<300, using: &generator)
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let alphabet: Base64.Alphabet = Bool.random(using: &generator) ? .standard : .urlSafe
            var text = Array(Base64.encode(bytes, alphabet: alphabet).utf8)
            let context = "seed \(Self.seed) case \(i)"
            XCTAssertEqual(text.count, Base64.encodedCount(count, alphabet: alphabet), context)
            XCTAssertEqual(try Base64.decode(text), bytes, context)
            if !text.isEmpty {
                text.insert(UInt8(ascii: "\n"), at: Int.random(in: 0...text.count, using: &generator))
                XCTAssertEqual(try Base64.decode(text), bytes, context)
            }
        }
    }

    /// Property: arbitrary bytes either decode or throw; they never crash (a crash report names
    /// the seed printed at the start).
    func testRandomInputNeverCrashes() {
        var generator = SplitMix64(seed: Self.seed &+ 1)
        let alphabet = Array("ABCxyz019+/-_= \n!".utf8)
        for _ in 0..<5000 {
            let text = (0..<Int.random(in: 0..<40, using: &generator)).map { _ in
                alphabet.randomElement(using: &generator)!
            }
            _ = try? Base64.decode(text)
        }
    }

    func testLargePayloadThroughput() throws {
        let bytes = (0..<(6 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let clock = ContinuousClock()
        let start = clock.now
        let encoded = Base64.encodeToBytes(bytes)
        let decoded = try Base64.decode(encoded)
        let elapsed = clock.now - start
        XCTAssertEqual(decoded, bytes)
        // Debug builds are far slower than release; this only catches quadratic behaviour.
        XCTAssertLessThan(elapsed, .seconds(10))
    }
}
