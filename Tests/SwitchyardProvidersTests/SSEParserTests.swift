import SwitchyardCore
import SwitchyardProviders
import XCTest

final class SSEParserTests: XCTestCase {
    func parse(_ chunks: [[UInt8]]) throws -> [SSEEvent] {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        for chunk in chunks { try parser.feed(chunk) { events.append($0) } }
        return events
    }

    func testFieldsCommentsAndMultilineData() throws {
        let text =
            ": keep-alive\nevent: message_start\ndata: {\"a\":1}\n\ndata: line1\ndata: line2\nid: 7\n\ndata:no-space\n\nevent: lonely\n\n"
        let events = try parse([Array(text.utf8)])
        XCTAssertEqual(
            events,
            [
                SSEEvent(event: "message_start", data: Array("{\"a\":1}".utf8)),
                SSEEvent(data: Array("line1\nline2".utf8), id: "7"),
                SSEEvent(data: Array("no-space".utf8), id: "7"),
            ])
    }

    func testCRLFAndCROnlyLineEndings() throws {
        let crlf = try parse([Array("data: a\r\n\r\ndata: b\r\n\r\n".utf8)])
        XCTAssertEqual(crlf.map(\.dataText), ["a", "b"])
        let cr = try parse([Array("data: a\r\rdata: b\r\r".utf8)])
        XCTAssertEqual(cr.map(\.dataText), ["a", "b"])
        // A CRLF split across two chunks is one line ending, not two.
        let split = try parse([Array("data: a\r".utf8), Array("\n\r\n".utf8)])
        XCTAssertEqual(split.map(\.dataText), ["a"])
    }

    func testIncompleteEventIsReported() throws {
        var parser = SSEParser()
        var events: [SSEEvent] = []
        try parser.feed(Array("data: one\n\ndata: tw".utf8)) { events.append($0) }
        XCTAssertEqual(events.map(\.dataText), ["one"])
        XCTAssertTrue(parser.hasIncompleteEvent)
        try parser.feed(Array("o\n\n".utf8)) { events.append($0) }
        XCTAssertFalse(parser.hasIncompleteEvent)
        XCTAssertEqual(events.map(\.dataText), ["one", "two"])
    }

    func testFinishDispatchesACompleteLastEventButNotAHalfLine() throws {
        var parser = SSEParser()
        var events: [String] = []
        try parser.feed(Array("data: a\n\ndata: [DONE]\n".utf8)) { events.append($0.dataText) }
        XCTAssertEqual(events, ["a"])
        parser.finish { events.append($0.dataText) }
        XCTAssertEqual(events, ["a", "[DONE]"])
        XCTAssertFalse(parser.hasIncompleteEvent)

        var cut = SSEParser()
        try cut.feed(Array("data: [DO".utf8)) { events.append($0.dataText) }
        cut.finish { events.append($0.dataText) }
        XCTAssertEqual(events.count, 2)
        XCTAssertTrue(cut.hasIncompleteEvent)
    }

    func testOversizedEventIsRefused() {
        var parser = SSEParser(maxEventBytes: 64)
        XCTAssertThrowsError(try parser.feed(Array(("data: " + String(repeating: "x", count: 100)).utf8)) { _ in })
    }

    /// Property: however a stream is cut into chunks, the parser yields the same events.
    func testChunkBoundariesNeverChangeTheEvents() throws {
        var rng = SplitMix64(seed: 0x5EED)
        let endings = ["\n", "\r\n", "\r"]
        for _ in 0..<300 {
            var text = ""
            var expected: [String] = []
            let nl = endings[Int(rng.next() % 3)]
            for e in 0..<Int(rng.next() % 6 + 1) {
                if rng.next() % 3 == 0 { text += ": comment \(e)" + nl }
                if rng.next() % 2 == 0 { text += "event: type\(e)" + nl }
                let lines = (0..<Int(rng.next() % 3 + 1)).map { "{\"n\":\(e),\"l\":\($0),\"s\":\"äöü 🚀\"}" }
                for line in lines { text += "data: " + line + nl }
                text += nl
                expected.append(lines.joined(separator: "\n"))
            }
            let bytes = Array(text.utf8)
            var chunks: [[UInt8]] = []
            var i = 0
            while i < bytes.count {
                let n = Int(rng.next() % 9) + 1
                chunks.append(Array(bytes[i..<min(bytes.count, i + n)]))
                i += n
            }
            XCTAssertEqual(try parse(chunks).map(\.dataText), expected, "stream: \(text.debugDescription)")
            XCTAssertEqual(try parse([bytes]).map(\.dataText), expected)
        }
    }

    /// Fuzz: random bytes never crash the parser or break its size cap.
    func testRandomBytesNeverCrash() throws {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<200 {
            var parser = SSEParser(maxEventBytes: 4096)
            let alphabet: [UInt8] = Array("data: event:id:\r\n\n:xyz{}\"".utf8) + [0, 0xFF, 0xC3]
            let bytes = (0..<Int(rng.next() % 2000)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
            try? parser.feed(bytes) { XCTAssertLessThanOrEqual($0.data.count, 4096) }
        }
    }
}
