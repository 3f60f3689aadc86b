import SwitchyardContract
import SwitchyardLLMCallerFunction

/// Embeds texts through the llm-caller's embedding path (catalog, retries, usage records), in
/// batches; every batch's usage records are kept for billing.
struct Embedder {
    let handler: LLMCallerHandler
    let model: ModelID
    let context: UsageContext
    var batchSize = 32

    struct Result {
        var vectors: [[Float]]
        var usage: [UsageRecord]
        var inputTokens: Int64
    }

    func embed(_ texts: [String], invocation: String) async throws(RetrievalToolError) -> Result {
        var result = Result(vectors: [], usage: [], inputTokens: 0)
        let window = handler.configuration.catalog.model(model)?.contextWindow ?? 512
        var start = 0
        var batch = 0
        while start < texts.count {
            let end = min(start + batchSize, texts.count)
            let outcome = await handler.embed(
                EmbeddingStepInput(
                    texts: Array(texts[start..<end]),
                    plan: EmbeddingPlan(candidates: [
                        LLMCandidate(model: model, attemptTimeoutMs: 60_000, contextWindow: window)
                    ]), context: context),
                invocationID: "\(invocation)-\(batch)", deadline: .now + .seconds(120))
            result.usage += outcome.usage
            guard let vectors = outcome.vectors, vectors.count == end - start else {
                throw .embedding(outcome.error.map { "\($0.errorType): \($0.errorMessage)" } ?? "no vectors")
            }
            result.vectors += vectors
            result.inputTokens += outcome.tokens?.input ?? 0
            start = end
            batch += 1
        }
        return result
    }
}

enum RetrievalToolError: Error {
    case embedding(String)
}
