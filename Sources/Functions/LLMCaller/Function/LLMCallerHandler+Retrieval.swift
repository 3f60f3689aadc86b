import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders
import SwitchyardRetrieval
import SwitchyardRetrievalStore

/// What the retrieval step gives the LLM call: the sources message (nil when there is none), the
/// citations, the report, and the embedding call's usage records.
struct RetrievalResult {
    var sources: String?
    var citations: [Citation]?
    var report: RetrievalReport
    var usage: [UsageRecord]

    /// A failed retrieval degrades the answer; it never disappears silently.
    var failed: Bool { report.status == "failed" }
}

extension LLMCallerHandler {
    /// The retrieval index the configuration names, or nil when no chunk store is configured.
    static func makeRetrievalIndex(_ configuration: RetrievalConfiguration) throws(ConfigurationError)
        -> (any VectorIndex)?
    {
        guard let uri = configuration.mongoURI else { return nil }
        let store: MongoChunkStore
        do { store = try MongoChunkStore(uri: uri, database: configuration.database) } catch {
            throw .invalid(variable: "RETRIEVAL_MONGODB_URI", value: "(not shown)", expected: "a MongoDB URI")
        }
        switch configuration.index {
        case .scan: return ScanVectorIndex(store: store, cacheTTL: configuration.cacheTTL)
        case .atlas: return AtlasVectorIndex(store: store, indexName: configuration.atlasIndexName)
        }
    }

    /// Embeds the question (the last user message's text), searches the tenant's collection and
    /// builds the numbered sources. Never throws: a failure is a `failed` report, and the caller
    /// answers without sources.
    func retrieve(
        _ plan: RetrievalPlan, input: LLMStepInput, request: ChatRequest, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> RetrievalResult {
        let started = ContinuousClock.now
        var usage: [UsageRecord] = []
        var searched: Int?
        func report(_ status: String, _ error: (any FunctionError)? = nil) -> RetrievalReport {
            RetrievalReport(
                status: status, collection: String(plan.collection.prefix(64)), embeddingModel: plan.embeddingModel,
                index: retrievalIndex?.kind, searched: searched,
                error: error.map {
                    StepError(errorType: $0.errorType, errorMessage: OutcomeBuilder.trim($0.errorMessage, to: 300))
                }, latencyMs: (ContinuousClock.now - started).milliseconds)
        }
        func failed(_ error: any FunctionError) -> RetrievalResult {
            RetrievalResult(sources: nil, citations: nil, report: report("failed", error), usage: usage)
        }
        do throws(RetrievalError) {
            try RetrievalError.checkCollection(plan.collection)
            guard (1...ExactScanIndex.maxTopK).contains(plan.topK) else {
                throw .invalidInput("retrieval.topK: 1...\(ExactScanIndex.maxTopK)")
            }
            guard let question = Self.question(request) else {
                throw .invalidInput("no user text to search for")
            }
            guard let index = retrievalIndex else {
                throw .storeUnavailable("no chunk store is configured (RETRIEVAL_MONGODB_URI)")
            }
            let stepDeadline = min(deadline, started + configuration.retrieval.timeout)
            let model = configuration.catalog.model(plan.embeddingModel)
            let embedded = await embed(
                EmbeddingStepInput(
                    texts: [question],
                    plan: EmbeddingPlan(candidates: [
                        LLMCandidate(
                            model: plan.embeddingModel,
                            attemptTimeoutMs: max(1, Int((stepDeadline - .now).milliseconds)),
                            contextWindow: model?.contextWindow ?? 512)
                    ]), context: input.context), invocationID: invocationID, deadline: stepDeadline)
            usage = embedded.usage
            guard let vector = embedded.vectors?.first else {
                throw .embeddingFailed(
                    embedded.error.map { "\($0.errorType): \($0.errorMessage)" } ?? "the model returned no vector")
            }
            let result = try await index.search(
                vector, tenantID: input.context.tenantID, collection: plan.collection,
                embeddingModel: (plan.passageModel ?? plan.embeddingModel).rawValue, topK: plan.topK,
                deadline: stepDeadline)
            searched = result.searched
            guard !result.hits.isEmpty else {
                return RetrievalResult(sources: nil, citations: [], report: report("empty"), usage: usage)
            }
            let (message, citations) = RetrievalPrompt.build(result.hits)
            return RetrievalResult(sources: message, citations: citations, report: report("retrieved"), usage: usage)
        } catch {
            return failed(error)
        }
    }

    /// The question: the last user message's text, at most 2 000 characters (its end, where
    /// the question usually is).
    static func question(_ request: ChatRequest) -> String? {
        guard let message = request.messages.last(where: { $0.role == .user }) else { return nil }
        let text = message.content.compactMap { part -> String? in
            if case .text(let t) = part { return t } else { return nil }
        }.joinedText(separator: "\n")
        let trimmed = text.count > 2000 ? String(text.suffix(2000)) : text
        return trimmed.contains(where: { !$0.isWhitespace }) ? trimmed : nil
    }

    /// The sources message goes after the client's own system messages, before the conversation.
    static func insertSources(_ sources: String, into request: inout ChatRequest) {
        let at = request.messages.firstIndex { $0.role != .system } ?? request.messages.count
        request.messages.insert(ChatMessage(role: .system, content: [.text(sources)]), at: at)
    }
}
