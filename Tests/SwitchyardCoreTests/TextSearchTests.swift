import SwitchyardCore
import XCTest

/// `firstRange(ofText:)` against hand-worked cases and a brute-force reference over UTF-8 bytes.
final class TextSearchTests: XCTestCase {
    /// Byte offsets of the match, for comparing against hand-computed values.
    private func offsets(_ haystack: some StringProtocol, _ needle: some StringProtocol) -> (Int, Int)? {
        guard let range = haystack.firstRange(ofText: needle) else { return nil }
        let bytes = haystack.utf8
        return (
            bytes.distance(from: bytes.startIndex, to: range.lowerBound),
            bytes.distance(from: bytes.startIndex, to: range.upperBound)
        )
    }

    func testHandWorkedCases() {
        XCTAssertTrue(offsets("abc", "abc")! == (0, 3))
        XCTAssertTrue(offsets("xxabc", "abc")! == (2, 5))
        // A partial match that restarts inside itself: "aab" first appears at offset 1 of "aaab".
        XCTAssertTrue(offsets("aaab", "aab")! == (1, 4))
        XCTAssertTrue(offsets("abab c", "ab c")! == (2, 6))
        // At the very end; a needle that runs off the end; longer than the haystack.
        XCTAssertTrue(offsets("key: value", "value")! == (5, 10))
        XCTAssertNil(offsets("key: valu", "value"))
        XCTAssertNil(offsets("ab", "abc"))
        XCTAssertNil(offsets("", "a"))
        // The empty needle matches at the start, as `firstRange(of:)` did.
        XCTAssertTrue(offsets("abc", "")! == (0, 0))
        // Bytes, not characters: "é" precomposed (C3 A9) is not "e" + combining acute (65 CC 81).
        XCTAssertNil(offsets("caf\u{E9}", "cafe\u{301}"))
        XCTAssertTrue(offsets("na\u{EF}ve: x", ": ")! == (6, 8))
        XCTAssertTrue("the prompt is too long".contains(text: "prompt is too long"))
        XCTAssertFalse("prompt is too lon".contains(text: "prompt is too long"))
    }

    func testSubstringsReturnTheirOwnIndices() {
        let whole = "<a>1</a><b>22</b>"
        let tail = whole.dropFirst(8)  // "<b>22</b>"
        let open = tail.firstRange(ofText: "<b>")!
        let close = tail.firstRange(ofText: "</b>")!
        XCTAssertEqual(String(tail[open.upperBound..<close.lowerBound]), "22")
        XCTAssertEqual(String(whole[open]), "<b>")
        XCTAssertNil(tail.firstRange(ofText: "<a>"))
    }

    /// Random strings over a small alphabet (many near-matches), against every start offset tried in turn.
    func testAgainstBruteForce() {
        var random = SplitMix64(seed: 0x7E57_5EA4)
        let alphabet: [String] = ["a", "b", "\u{E9}", ":"]
        func text(_ count: Int) -> String {
            (0..<count).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] }.joined()
        }
        for _ in 0..<2000 {
            let haystack = text(Int(random.next() % 24))
            let needle = text(1 + Int(random.next() % 4))
            let h = Array(haystack.utf8)
            let n = Array(needle.utf8)
            var expected: (Int, Int)?
            if n.count <= h.count {
                for start in 0...(h.count - n.count) where Array(h[start..<(start + n.count)]) == n {
                    expected = (start, start + n.count)
                    break
                }
            }
            let got = offsets(haystack, needle)
            XCTAssertEqual(got?.0, expected?.0, "\(haystack) / \(needle)")
            XCTAssertEqual(got?.1, expected?.1, "\(haystack) / \(needle)")
        }
    }

    func testJoinedTextMatchesTheStandardLibrarysJoined() {
        let samples: [[String]] = [[], [""], ["", ""], ["a"], ["a", "b", "c"], ["é", "", "日本", "e\u{301}"]]
        for strings in samples {
            for separator in ["", ", ", "\u{301}", "→"] {
                XCTAssertEqual(strings.joinedText(separator: separator), strings.joined(separator: separator))
                XCTAssertEqual(strings[...].joinedText(separator: separator), strings.joined(separator: separator))
            }
            XCTAssertEqual(strings.joinedText(), strings.joined())
        }
    }
}
