import SwitchyardContract

/// Estimates token counts when a provider reports none (some OpenAI-compatible servers, streams
/// without `include_usage`). No model tokenizer ships inside the function, so this uses the
/// common rule of thumb for BPE tokenizers on English text, about four bytes of UTF-8 per
/// token, plus a few tokens of per-message framing. Figures from here are always marked
/// `estimated` so billing can tell them apart.
public enum TokenEstimator {
    public static let bytesPerToken: Int64 = 4
    public static let tokensPerMessage: Int64 = 4
    /// OpenAI's low-detail image cost, used as the flat estimate for any image.
    public static let tokensPerImage: Int64 = 85

    /// Tokens in `text`. Byte counts of in-memory strings cannot overflow `Int64`.
    public static func tokens(in text: String) -> Int64 {
        let bytes = Int64(text.utf8.count)
        return bytes == 0 ? 0 : (bytes + bytesPerToken - 1) / bytesPerToken
    }

    /// Prompt tokens: text parts, tool definitions and tool calls, plus framing; images a flat
    /// 85 tokens each.
    public static func promptTokens(_ request: ChatRequest) -> Int64 {
        var total: Int64 = 3
        for message in request.messages {
            total += tokensPerMessage
            for part in message.content {
                switch part {
                case .text(let t): total += tokens(in: t)
                case .image: total += tokensPerImage
                }
            }
            for call in message.toolCalls { total += tokens(in: call.name) + tokens(in: call.arguments) }
        }
        for tool in request.tools {
            total += tokens(in: tool.name) + tokens(in: tool.description ?? "")
            if let schema = tool.parameters { total += Int64(schema.serialized().count) / bytesPerToken }
        }
        return total
    }

    public static func usage(request: ChatRequest, output: String) -> UsageRecord.Tokens {
        UsageRecord.Tokens(input: promptTokens(request), output: tokens(in: output), estimated: true)
    }
}
