import XCTest

@testable import SwitchyardJSON

/// Hostile documents: every limit fails with its own typed reason, quickly, and parsing time
/// grows linearly with the document (issue 12: a 1 MB many-keys object used to stall a function).
final class JSONLimitsTests: XCTestCase {
    static func manyKeys(_ count: Int) -> [UInt8] {
        var text = "{"
        text.reserveCapacity(count * 12)
        for i in 0..<count {
            if i > 0 { text += "," }
            text += "\"k\(i)\":0"
        }
        text += "}"
        return Array(text.utf8)
    }

    /// Best of `samples` runs of `body`, in seconds (the minimum filters out a busy machine).
    func seconds(samples: Int = 7, _ body: () throws -> Void) rethrows -> Double {
        let clock = ContinuousClock()
        var best = Double.infinity
        for _ in 0..<samples {
            let start = clock.now
            try body()
            let elapsed = clock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
        }
        return best
    }

    /// Duplicate-key detection used to rebuild a set of all earlier keys for every new key past
    /// the 32nd: 4× the members took 16× the time (4,000 keys: 5 s in a debug build). Linear
    /// now: four parses of 1,000 keys take about as long as one of 4,000.
    func testManyKeysParseInLinearTime() throws {
        let small = Self.manyKeys(1_000)
        let large = Self.manyKeys(4_000)
        let once = try seconds(samples: 1) { XCTAssertEqual(try JSON.parse(large).objectValue?.count, 4_000) }
        // A linear parse takes milliseconds; stop here rather than wait minutes for the samples.
        guard once < 1 else { return XCTFail("4,000 keys took \(once) s") }
        // The two sides take turns, so a burst of load on a busy machine hits both alike; each
        // keeps its fastest sample.
        var (tLarge, tSmall) = (Double.infinity, Double.infinity)
        for _ in 0..<9 {
            tLarge = min(tLarge, try seconds(samples: 1) { _ = try JSON.parse(large) })
            tSmall = min(tSmall, try seconds(samples: 1) { for _ in 0..<4 { _ = try JSON.parse(small) } })
        }
        // Same bytes either way: linear gives ~1, quadratic ~4.
        XCTAssertLessThan(tLarge / tSmall, 3, "4 × 1,000 keys: \(tSmall) s, 4,000 keys: \(tLarge) s")
    }

    func testDuplicateKeyIsFoundInLargeObjects() {
        var bytes = Self.manyKeys(5_000)
        bytes.removeLast()
        bytes += Array(#","k4321":1}"#.utf8)
        XCTAssertThrowsError(try JSON.parse(bytes)) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .duplicateKey("k4321"))
        }
    }

    /// The 100k-key object of the issue (~1.2 MB): refused by the member limit, quickly; with the
    /// limit lifted it parses, also quickly.
    func testHundredThousandKeysAreRefusedByTheMemberLimit() throws {
        let hostile = Self.manyKeys(100_000)
        let clock = ContinuousClock()
        let start = clock.now
        XCTAssertThrowsError(try JSON.parse(hostile)) { error in
            XCTAssertEqual(
                (error as? JSONParseError)?.reason, .tooManyMembers(limit: JSONLimits.default.maxObjectMembers))
        }
        let lifted = JSONLimits(maxObjectMembers: 1_000_000)
        XCTAssertEqual(try JSON.parse(hostile, limits: lifted).objectValue?.count, 100_000)
        // Debug build, shared machine: generous, but far below the minutes the quadratic check took.
        XCTAssertLessThan(clock.now - start, .seconds(10))
    }

    func testMemberLimitIsInclusive() throws {
        let limits = JSONLimits(maxObjectMembers: 100)
        XCTAssertEqual(try JSON.parse(Self.manyKeys(100), limits: limits).objectValue?.count, 100)
        XCTAssertThrowsError(try JSON.parse(Self.manyKeys(101), limits: limits)) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .tooManyMembers(limit: 100))
        }
    }

    func testDocumentSizeLimit() throws {
        let limits = JSONLimits(maxDocumentBytes: 16)
        XCTAssertEqual(try JSON.parse(Array("[1,2,3,4,5,6,7]".utf8), limits: limits).arrayValue?.count, 7)
        XCTAssertThrowsError(try JSON.parse(Array("[1,2,3,4,5,6,7,8]".utf8), limits: limits)) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .documentTooLarge(limit: 16))
            XCTAssertEqual((error as? JSONParseError)?.offset, 0)
        }
    }

    func testStringLengthLimitCountsDecodedBytesOfKeysAndValues() throws {
        let limits = JSONLimits(maxStringBytes: 4)
        XCTAssertEqual(try JSON.parse(#"["abcd", "\u00e9\u00e9"]"#, limits: limits).arrayValue?.count, 2)
        for text in [#"["abcde"]"#, #"{"abcde": 1}"#, #"["ab\ncd"]"#, #"["\u00e9\u00e9x"]"#] {
            XCTAssertThrowsError(try JSON.parse(text, limits: limits), text) { error in
                XCTAssertEqual((error as? JSONParseError)?.reason, .stringTooLong(limit: 4), text)
            }
        }
    }

    func testNumberLengthLimit() throws {
        let limits = JSONLimits(maxNumberLength: 8)
        XCTAssertEqual(try JSON.parse("-1.5e+10", limits: limits), .double(-1.5e10))
        for text in ["123456789", "0.0000001", "[1e-000001]"] {
            XCTAssertThrowsError(try JSON.parse(text, limits: limits), text) { error in
                XCTAssertEqual((error as? JSONParseError)?.reason, .numberTooLong(limit: 8), text)
            }
        }
        // The default still refuses a megabyte of digits without handing it to strtod.
        let digits = String(repeating: "7", count: 1 << 20)
        XCTAssertThrowsError(try JSON.parse(digits)) { error in
            XCTAssertEqual(
                (error as? JSONParseError)?.reason, .numberTooLong(limit: JSONLimits.default.maxNumberLength))
        }
    }

    func testDepthLimitIsConfigurable() throws {
        let limits = JSONLimits(maxDepth: 3)
        XCTAssertNoThrow(try JSON.parse("[[{}]]", limits: limits))
        XCTAssertThrowsError(try JSON.parse(#"[[{"a":[]}]]"#, limits: limits)) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .tooDeep(limit: 3))
        }
    }

    func testDecodeHonoursLimits() {
        XCTAssertThrowsError(try JSON.decode([String: Int].self, from: Self.manyKeys(20_000))) { error in
            XCTAssertEqual((error as? JSONParseError)?.reason, .tooManyMembers(limit: 10_000))
        }
        XCTAssertEqual(
            try JSON.decode(
                [String: Int].self, from: Self.manyKeys(20_000), limits: JSONLimits(maxObjectMembers: 20_000)
            )
            .count, 20_000)
    }

    /// Equality of large objects is order-independent and linear (it was a nested scan).
    func testLargeObjectEqualityIgnoresOrder() throws {
        let a = try JSON.parse(Self.manyKeys(20_000), limits: JSONLimits(maxObjectMembers: 20_000))
        guard case .object(let object) = a else { return XCTFail("not an object") }
        let reversed = JSON.object(JSONObject(object.members.reversed()))
        XCTAssertEqual(a, reversed)
        var changed = object
        changed["k19999"] = .integer(1)
        XCTAssertNotEqual(a, .object(changed))
    }
}

/// Duplicate detection compares keys as `String`s do (canonical equivalence), whichever path a
/// key takes: the short-key cache, escapes, or the hash table of large objects.
final class JSONDuplicateKeyTests: XCTestCase {
    func reason(_ text: String) -> JSONParseError.Reason? {
        do {
            _ = try JSON.parse(text)
            return nil
        } catch {
            return error.reason
        }
    }

    func testEscapedAndPlainSpellingsOfOneKeyAreDuplicates() {
        XCTAssertEqual(reason(#"{"a":1,"\u0061":2}"#), .duplicateKey("a"))
        XCTAssertEqual(reason(#"{"model":1,"mo\u0064el":2}"#), .duplicateKey("model"))
    }

    func testCanonicallyEquivalentKeysAreDuplicates() {
        // KELVIN SIGN is canonically equivalent to "K"; "é" precomposed and decomposed are too.
        XCTAssertEqual(reason(#"{"K":1,"\u212A":2}"#), .duplicateKey("\u{212A}"))
        XCTAssertEqual(reason("{\"\u{E9}\":1,\"e\u{301}\":2}"), .duplicateKey("e\u{301}"))
        // The same past the linear scan, through the hash table.
        let filler = (0..<20).map { "\"f\($0)\":0," }.joined()
        XCTAssertEqual(reason("{\"K\":1,\(filler)\"\\u212A\":2}"), .duplicateKey("\u{212A}"))
    }

    func testKeysSharingAPrefixAreDistinct() throws {
        let json = try JSON.parse(#"{"abcdefgh1":1,"abcdefgh2":2,"abcdefg":3,"abcdefgh":4,"abcdefgh1x":5}"#)
        XCTAssertEqual(json.objectValue?.keys, ["abcdefgh1", "abcdefgh2", "abcdefg", "abcdefgh", "abcdefgh1x"])
        XCTAssertEqual(
            reason(#"{"abcdefghijklmnopq":1,"x":0,"abcdefghijklmnopq":2}"#), .duplicateKey("abcdefghijklmnopq"))
    }

    /// Records of one shape reuse cached keys; every member still gets its own value.
    func testRepeatedKeysKeepTheirValues() throws {
        let records = (0..<300).map { #"{"id":\#($0),"name":"n\#($0)","nested":{"id":"x\#($0)"}}"# }
        let json = try JSON.parse("[" + records.joined(separator: ",") + "]")
        for (i, record) in (json.arrayValue ?? []).enumerated() {
            XCTAssertEqual(record["id"], .integer(Int64(i)))
            XCTAssertEqual(record["name"], .string("n\(i)"))
            XCTAssertEqual(record["nested"]?["id"], .string("x\(i)"))
        }
        XCTAssertEqual(json.arrayValue?.count, 300)
    }
}
