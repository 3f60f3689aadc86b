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
        _ usage: TokenUsage, request: ChatRequest, output: String, target: ModelTarget, transport: any HTTPTransport,
        deadline: ContinuousClock.Instant
    ) async -> TokenUsage {
        guard usage.estimated, target.provider == .openaiCompatible,
            !unsupported.withLock({ $0.contains(target.baseURL) })
        else { return usage }
        let limit = min(deadline, ContinuousClock.now.advanced(by: Self.budget))
        let promptText = request.messages.map(\.text).joined(separator: "\n")
        guard let prompt = await count(promptText, target: target, transport: transport, deadline: limit),
            let completion = await count(output, target: target, transport: transport, deadline: limit)
        else { return usage }
        var refined = usage
        refined.inputTokens = prompt + 3 + TokenEstimator.tokensPerMessage * request.messages.count
        refined.outputTokens = completion
        return refined
    }

    private func count(
        _ text: String, target: ModelTarget, transport: any HTTPTransport, deadline: ContinuousClock.Instant
    ) async -> Int? {
        if text.isEmpty { return 0 }
        let body: JSON = ["input": .string(text), "model": .string(target.model)]
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key = target.apiKey, !key.isEmpty { headers.add("Authorization", "Bearer \(key)") }
        let request = HTTPRequest(
            method: .post, url: target.baseURL + "/extras/tokenize/count", headers: headers, body: body.serialized(),
            maxResponseBytes: 4096)
        guard let response = try? await transport.send(request, deadline: deadline) else { return nil }
        guard response.status == 200, let n = (try? JSON.parse(response.body))?["count"]?.int64Value else {
            if response.status == 404 || response.status == 405 {
                unsupported.withLock { _ = $0.insert(target.baseURL) }
            }
            return nil
        }
        return Int(n)
    }
}
