import CZlib
import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders
import XCTest

final class AWSEventStreamTests: XCTestCase {
    /// Encodes one message the way AWS does (test-side encoder, independent of the parser).
    static func message(_ headers: [(String, String)], _ payload: String, corrupt: Bool = false) -> [UInt8] {
        var encoded: [UInt8] = []
        for (name, value) in headers {
            encoded.append(UInt8(name.utf8.count))
            encoded += Array(name.utf8)
            encoded.append(7)
            encoded += [UInt8(value.utf8.count >> 8), UInt8(value.utf8.count & 0xFF)]
            encoded += Array(value.utf8)
        }
        let body = Array(payload.utf8)
        let total = 12 + encoded.count + body.count + 4
        var out = be(UInt32(total)) + be(UInt32(encoded.count))
        out += be(crc(out))
        out += encoded + body
        out += be(crc(out) ^ (corrupt ? 1 : 0))
        return out
    }

    static func be(_ v: UInt32) -> [UInt8] {
        [UInt8(v >> 24), UInt8(v >> 16 & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v & 0xFF)]
    }
    static func crc(_ b: [UInt8]) -> UInt32 {
        UInt32(truncatingIfNeeded: b.withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32(b.count)) })
    }

    static func event(_ type: String, _ json: String) -> [UInt8] {
        message([(":event-type", type), (":content-type", "application/json"), (":message-type", "event")], json)
    }

    static let stream: [UInt8] =
        event("messageStart", #"{"role":"assistant","p":"ab"}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"Bon"},"p":"abc"}"#)
        + event("contentBlockDelta", #"{"contentBlockIndex":0,"delta":{"text":"jour"}}"#)
        + event("contentBlockStop", #"{"contentBlockIndex":0}"#)
        + event("messageStop", #"{"stopReason":"max_tokens"}"#)
        + event(
            "metadata",
            #"{"usage":{"inputTokens":12,"outputTokens":2,"totalTokens":19,"cacheReadInputTokens":5},"metrics":{"latencyMs":80}}"#
        )

    func accumulate(_ chunks: [[UInt8]]) throws -> (any StreamAccumulator, AWSEventStreamParser) {
        let accumulator = BedrockCodec(credentials: nil).makeStreamAccumulator(
            request: ChatRequest(messages: [ChatMessage(role: .user, text: "hi")], stream: true),
            for: ModelTarget(provider: .bedrock, model: "m", baseURL: "http://x"))
        var parser = AWSEventStreamParser()
        for chunk in chunks { try parser.feed(chunk) { try accumulator.consume($0.asEvent) } }
        return (accumulator, parser)
    }

    func testConverseStreamTextUsageAndCompletionUnderAnySplit() throws {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<100 {
            var chunks: [[UInt8]] = []
            var i = 0
            while i < Self.stream.count {
                let n = Int(rng.next() % 40) + 1
                chunks.append(Array(Self.stream[i..<min(Self.stream.count, i + n)]))
                i += n
            }
            let (accumulator, parser) = try accumulate(chunks)
            XCTAssertTrue(accumulator.isComplete)
            XCTAssertFalse(parser.hasIncompleteMessage)
            let response = accumulator.response(providerRequestID: nil)
            XCTAssertEqual(response.text, "Bonjour")
            XCTAssertEqual(response.finishReason, .length)
            XCTAssertEqual(response.usage, UsageRecord.Tokens(input: 17, output: 2, cached: 5))
        }
    }

    func testStreamWithoutMetadataIsIncomplete() throws {
        let withoutMetadata = Array(
            Self.stream[
                0..<(Self.stream.count
                    - Self.event(
                        "metadata",
                        #"{"usage":{"inputTokens":12,"outputTokens":2,"totalTokens":19,"cacheReadInputTokens":5},"metrics":{"latencyMs":80}}"#
                    ).count)])
        let (accumulator, _) = try accumulate([withoutMetadata])
        XCTAssertFalse(accumulator.isComplete)
        let (_, parser) = try accumulate([Array(Self.stream.dropLast(3))])
        XCTAssertTrue(parser.hasIncompleteMessage)
    }

    func testCorruptChecksumAndExceptionsAreTyped() throws {
        var parser = AWSEventStreamParser()
        XCTAssertThrowsError(
            try parser.feed(Self.message([(":event-type", "messageStart")], "{}", corrupt: true)) { _ in }
        ) {
            XCTAssertEqual($0 as? AWSEventStreamParser.Failure, .badChecksum)
        }
        let exception = Self.message(
            [(":message-type", "exception"), (":exception-type", "throttlingException")],
            #"{"message":"Too many tokens"}"#)
        XCTAssertThrowsError(try accumulate([exception])) {
            XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.RateLimited")
        }
        let streamError = Self.message(
            [(":message-type", "exception"), (":exception-type", "modelStreamErrorException")], #"{"message":"boom"}"#)
        XCTAssertThrowsError(try accumulate([streamError])) {
            XCTAssertEqual(($0 as? LLMError)?.errorType, "Provider.UpstreamError")
        }
    }

    /// Fuzz: random bytes, and valid messages with random bytes flipped, never crash the parser.
    func testRandomAndMutatedInputNeverCrashes() {
        var rng = SplitMix64(seed: 77)
        for round in 0..<400 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                bytes = (0..<Int(rng.next() % 300)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = Self.stream
                for _ in 0..<Int(rng.next() % 4 + 1) {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    bytes[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            }
            var parser = AWSEventStreamParser(maxMessageBytes: 1 << 16)
            try? parser.feed(bytes) { _ in }
        }
    }
}
