import SwitchyardContract
import SwitchyardJSON
import SwitchyardProviders

/// Measures SSE throughput on a synthetic OpenAI chat stream: framing alone, and framing plus
/// the OpenAI accumulator (JSON parse of every chunk), fed in 16 KiB reads as from a socket.
/// Every parse error is counted and reported, and the decoded text is checked against what the
/// stream carries, so a broken parser cannot post a fast number.
enum SSEBenchmark {
    static func run(megabytes: Int) -> JSON {
        var stream: [UInt8] = []
        let chunk =
            Array(
                (#"data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1764000000,"#
                    + #""model":"gpt-4o-mini","service_tier":"default","system_fingerprint":"fp_1","choices":[{"#
                    + #""index":0,"delta":{"content":" lorem ipsum"},"logprobs":null,"finish_reason":null}],"#
                    + #""usage":null}"#).utf8) + [0x0A, 0x0A]
        var chunks = 0
        while stream.count < megabytes << 20 {
            stream += chunk
            chunks += 1
        }
        stream += Array("data: [DONE]\n\n".utf8)

        var events = 0
        var errors: [String] = []
        let framing = time {
            var parser = SSEParser()
            feed(stream, into: &parser, errors: &errors) { _ in events += 1 }
        }
        let request = ChatRequest(messages: [ChatMessage(role: .user, text: "hi")], stream: true)
        let target = ModelTarget(provider: .openAI, model: "gpt-4o-mini", baseURL: "http://127.0.0.1")
        var complete = false
        var textBytes = 0
        let decoding = time {
            var parser = SSEParser()
            let accumulator = OpenAICodec().makeStreamAccumulator(request: request, for: target)
            var decodeErrors: [String] = []
            feed(stream, into: &parser, errors: &errors) { event in
                do { try accumulator.consume(event) } catch { decodeErrors.append("\(error)") }
            }
            errors += decodeErrors
            complete = accumulator.isComplete
            textBytes = accumulator.text.utf8.count
        }
        let valid = errors.isEmpty && complete && events == chunks + 1 && textBytes == chunks * 12
        let mb = Double(stream.count) / 1_048_576
        return [
            "bytes": .integer(Int64(stream.count)), "events": .integer(Int64(events)), "complete": .bool(complete),
            "valid": .bool(valid), "errors": .array(errors.prefix(5).map { .string($0) }),
            "framing_mb_per_s": .double((mb / framing).rounded()),
            "framing_and_decode_mb_per_s": .double((mb / decoding).rounded()),
        ]
    }

    static func feed(
        _ stream: [UInt8], into parser: inout SSEParser, errors: inout [String], _ onEvent: (SSEEvent) -> Void
    ) {
        stream.withUnsafeBytes { all in
            var offset = 0
            while offset < all.count {
                let n = min(16384, all.count - offset)
                do {
                    try parser.feed(UnsafeRawBufferPointer(rebasing: all[offset..<offset + n])) { onEvent($0) }
                } catch {
                    errors.append("\(error)")
                }
                offset += n
            }
        }
    }

    static func time(_ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        body()
        let (s, a) = (ContinuousClock.now - start).components
        return Double(s) + Double(a) / 1e18
    }
}
