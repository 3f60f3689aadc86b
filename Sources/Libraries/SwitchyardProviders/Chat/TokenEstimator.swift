/// Estimates token counts when a provider reports none (some OpenAI-compatible servers, streams
/// without `include_usage`). No model tokenizer ships inside the function, so this uses the
/// common rule of thumb for BPE tokenizers on English text, about four bytes of UTF-8 per
/// token, plus a few tokens of per-message framing. Figures from here are always marked
/// `estimated` so billing can tell them apart.
public enum TokenEstimator {
    public static let bytesPerToken = 4
    public static let tokensPerMessage = 4

    public static func tokens(in text: String) -> Int {
        let bytes = text.utf8.count
        return bytes == 0 ? 0 : (bytes + bytesPerToken - 1) / bytesPerToken
    }

    /// Prompt tokens: text parts plus framing; images count a flat 85 tokens (OpenAI's low-detail cost).
    public static func promptTokens(_ request: ChatRequest) -> Int {
        var total = 3
        for message in request.messages {
            total += tokensPerMessage
            for part in message.content {
                switch part {
                case .text(let t): total += tokens(in: t)
                case .image: total += 85
                }
            }
        }
        return total
    }

    public static func usage(request: ChatRequest, output: String) -> TokenUsage {
        TokenUsage(inputTokens: promptTokens(request), outputTokens: tokens(in: output), estimated: true)
    }
}
