import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import Synchronization

/// Counts tokens with an OpenAI-compatible server's own tokenizer when the server omits usage
/// (llama.cpp's server does, in streams). llama-cpp-python serves it at
/// `POST /extras/tokenize/count` (`{"input": text, "model": …}` → `{"count": n}`). The prompt is
/// counted as its texts plus the same per-message framing allowance as `TokenEstimator`, since
/// the chat template is not visible here; figures stay marked `estimated`. Servers without the
/// endpoint are remembered and fall back to `TokenEstimator`.
final class CompatibleTokenizer: Sendable {
    private let unsupported = Mutex<Set<String>>([])
    static let budget: Duration = .milliseconds(300)

    func refine(
        _ usage: UsageRecord.Tokens, request: ChatRequest, output: String, target: ModelTarget,
        transport: any HTTPTransport, deadline: ContinuousClock.Instant
    ) async -> UsageRecord.Tokens {
        guard usage.estimated, target.provider == .openAICompatible,
            !unsupported.withLock({ $0.contains(target.baseURL) })
        else { return usage }
        let limit = min(deadline, ContinuousClock.now.advanced(by: Self.budget))
        let promptText = request.messages.map(\.text).joinedText(separator: "\n")
        guard let prompt = await count(promptText, target: target, transport: transport, deadline: limit),
            let completion = await count(output, target: target, transport: transport, deadline: limit)
        else { return usage }
        var refined = usage
        refined.input = prompt + 3 + TokenEstimator.tokensPerMessage * Int64(request.messages.count)
        refined.output = completion
        return refined
    }

    /// The server's count for `text`; nil when the server cannot say (or says something out of range).
    private func count(
        _ text: String, target: ModelTarget, transport: any HTTPTransport, deadline: ContinuousClock.Instant
    ) async -> Int64? {
        if text.isEmpty { return 0 }
        let body: JSON = ["input": .string(text), "model": .string(target.model)]
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key = target.apiKey, !key.isEmpty { headers.add("Authorization", "Bearer \(key)") }
        let request = HTTPRequest(
            method: .post, url: target.baseURL + "/extras/tokenize/count", headers: headers, body: body.serialized(),
            maxResponseBytes: 4096)
        // Optional refinement: any failure keeps the rule-of-thumb estimate.
        guard let response = try? await transport.send(request, deadline: deadline) else { return nil }
        guard response.status == 200, let doc = try? JSON.parse(response.body) else {
            if response.status == 404 || response.status == 405 {
                unsupported.withLock { _ = $0.insert(target.baseURL) }
            }
            return nil
        }
        guard let n = try? TokenCount.read(doc["count"], field: "count", provider: target.provider) else { return nil }
        return n
    }
}
