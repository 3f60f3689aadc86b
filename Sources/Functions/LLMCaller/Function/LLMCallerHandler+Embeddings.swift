import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Texts to embed with the embedding plan's models: what retrieval and the front door's
/// `/v1/embeddings` pass in-process.
public struct EmbeddingStepInput: Codable, Sendable, Equatable {
    public var texts: [String]
    public var plan: EmbeddingPlan
    public var context: UsageContext
    public var dimensions: Int?

    public init(texts: [String], plan: EmbeddingPlan, context: UsageContext, dimensions: Int? = nil) {
        self.texts = texts
        self.plan = plan
        self.context = context
        self.dimensions = dimensions
    }
}

/// Vectors in input order, or the failure, with every attempt and one usage record (step
/// `embedding`) per attempt sent.
public struct EmbeddingOutcome: Codable, Sendable, Equatable {
    public var requestID: String
    public var status: StepStatus
    /// Catalog id of the model that answered.
    public var model: ModelID?
    public var provider: ProviderID?
    public var providerModel: String?
    public var vectors: [[Float]]?
    public var tokens: UsageRecord.Tokens?
    public var attempts: [LLMAttempt]
    public var usage: [UsageRecord]
    public var error: StepError?
    public var latencyMs: Int64

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case status, model, provider, providerModel, vectors, tokens, attempts, usage, error, latencyMs
    }
}

extension LLMCallerHandler {
    /// Embeds `input.texts` with the first of the plan's embedding models that answers.
    public func embed(_ input: EmbeddingStepInput, invocationID: String, deadline: ContinuousClock.Instant) async
        -> EmbeddingOutcome
    {
        let started = ContinuousClock.now
        let builder = OutcomeBuilder(
            input: LLMStepInput(plan: LLMPlan(candidates: [], maxOutputTokens: 1), context: input.context),
            invocationID: invocationID, compute: configuration.compute, modality: .text, step: "embedding")
        func failed(_ error: StepError) -> EmbeddingOutcome {
            EmbeddingOutcome(
                requestID: input.context.requestID, status: .failed, attempts: [], usage: [],
                error: builder.trimmed(error), latencyMs: (ContinuousClock.now - started).milliseconds)
        }
        func invalid(_ message: String) -> StepError {
            StepError(errorType: LLMError.invalidRequest("").errorType, errorMessage: message)
        }
        guard Identifier.isValid(input.context.requestID), Identifier.isValid(input.context.tenantID),
            Identifier.isValid(invocationID)
        else { return failed(invalid("context.requestId, context.tenantId and the invocation id must be valid ids")) }
        guard (1...EmbeddingClient.maxInputs).contains(input.texts.count) else {
            return failed(invalid("texts: 1...\(EmbeddingClient.maxInputs) texts are required"))
        }
        guard input.texts.allSatisfy({ (1...1 << 20).contains($0.utf8.count) }) else {
            return failed(invalid("texts: each text must be 1 byte to 1 MiB"))
        }
        if let d = input.dimensions, !(1...EmbeddingClient.maxDimensions).contains(d) {
            return failed(invalid("dimensions: must be within 1...\(EmbeddingClient.maxDimensions)"))
        }
        let candidates: [CallCandidate]
        do {
            candidates = try await resolver.resolve(
                LLMPlan(candidates: input.plan.candidates, maxOutputTokens: 1), kind: .embedding,
                request: ChatRequest(messages: []), deadline: deadline)
        } catch {
            return failed(error)
        }
        let request = EmbeddingRequest(inputs: input.texts, dimensions: input.dimensions, user: input.context.user)
        let call = await caller.embed(request, candidates: candidates, client: embeddings, deadline: deadline)
        let (attempts, usage) = builder.records(call)
        let latency = (ContinuousClock.now - started).milliseconds
        guard let response = call.response, let answering = call.attempts.last else {
            let error = call.error ?? .invalidRequest("no model candidates given")
            return EmbeddingOutcome(
                requestID: input.context.requestID, status: .failed, attempts: attempts, usage: usage,
                error: builder.trimmed(StepError(errorType: error.errorType, errorMessage: error.errorMessage)),
                latencyMs: latency)
        }
        return EmbeddingOutcome(
            requestID: input.context.requestID, status: (call.answeredBy ?? 0) > 0 ? .degraded : .succeeded,
            model: answering.model, provider: answering.provider, providerModel: response.model,
            vectors: response.vectors, tokens: response.usage, attempts: attempts, usage: usage, error: nil,
            latencyMs: latency)
    }
}
