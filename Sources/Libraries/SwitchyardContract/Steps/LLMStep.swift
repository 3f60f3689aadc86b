/// The llm-caller's event, as the state machine selects it: the request (or one batch item with
/// the request's parameters), the decision's LLM plan and usage context, and on the
/// `vision+llm` path the detector's outcome to ground the prompt in.
public struct LLMStepInput: Codable, Sendable, Equatable {
    public var request: InferenceRequest?
    /// A batch item (Map path); the prompt is the item's text and images.
    public var item: BatchItem?
    /// Generation parameters for a batch item (the request's own, selected beside the item).
    public var parameters: GenerationParameters?
    public var plan: LLMPlan
    public var context: UsageContext
    /// Detections to put into the prompt when `plan.groundWithDetections`.
    public var grounding: VisionOutcome?
    /// Retrieve chunks and put them into the prompt as numbered sources before the call.
    public var retrieval: RetrievalPlan?

    public init(
        request: InferenceRequest? = nil, item: BatchItem? = nil, parameters: GenerationParameters? = nil,
        plan: LLMPlan,
        context: UsageContext, grounding: VisionOutcome? = nil, retrieval: RetrievalPlan? = nil
    ) {
        self.request = request
        self.item = item
        self.parameters = parameters
        self.plan = plan
        self.context = context
        self.grounding = grounding
        self.retrieval = retrieval
    }
}

/// What the llm-caller returns, on success and failure alike (failures are structured output,
/// not Lambda errors, so their charged attempts are billed).
public struct LLMOutcome: Codable, Sendable, Equatable {
    public var requestID: String
    /// The batch item this outcome answers, on the Map path.
    public var itemID: String?
    public var status: StepStatus
    public var answer: LLMAnswer?
    /// Every attempt, in order, with its usage; the answering one is among them.
    public var attempts: [LLMAttempt]
    /// One record per attempt that was sent (each priced on its own), plus none for skipped ones.
    public var usage: [UsageRecord]
    public var error: StepError?
    public var latencyMs: Int64
    /// The sources the answer was given (`[n]` cites `citations[n - 1]`), when retrieval ran.
    public var citations: [Citation]?
    /// What retrieval did, when the input asked for it (a failure makes the outcome `degraded`).
    public var retrieval: RetrievalReport?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case itemID = "itemId"
        case status, answer, attempts, usage, error, latencyMs, citations, retrieval
    }

    public init(
        requestID: String, itemID: String? = nil, status: StepStatus, answer: LLMAnswer?, attempts: [LLMAttempt],
        usage: [UsageRecord], error: StepError?, latencyMs: Int64, citations: [Citation]? = nil,
        retrieval: RetrievalReport? = nil
    ) {
        self.requestID = requestID
        self.itemID = itemID
        self.status = status
        self.answer = answer
        self.attempts = attempts
        self.usage = usage
        self.error = error
        self.latencyMs = latencyMs
        self.citations = citations
        self.retrieval = retrieval
    }
}

/// The model's answer.
public struct LLMAnswer: Codable, Sendable, Equatable {
    public var text: String
    /// `stop`, `length`, `content_filter`, `tool_use`, `other`.
    public var finishReason: String
    /// Catalog id of the model that answered.
    public var model: ModelID
    public var provider: ProviderID
    /// The model as the provider reported it.
    public var providerModel: String
    public var toolCalls: [ToolCall]?
    /// The answer came from a candidate other than the first.
    public var fallbackUsed: Bool
    public var tokens: UsageRecord.Tokens
    public var ttftMs: Int64?

    public init(
        text: String, finishReason: String, model: ModelID, provider: ProviderID, providerModel: String,
        toolCalls: [ToolCall]? = nil, fallbackUsed: Bool, tokens: UsageRecord.Tokens, ttftMs: Int64? = nil
    ) {
        self.text = text
        self.finishReason = finishReason
        self.model = model
        self.provider = provider
        self.providerModel = providerModel
        self.toolCalls = toolCalls
        self.fallbackUsed = fallbackUsed
        self.tokens = tokens
        self.ttftMs = ttftMs
    }
}

/// One attempt at one model.
public struct LLMAttempt: Codable, Sendable, Equatable {
    public var model: ModelID
    public var provider: ProviderID
    /// `ok`, `failed`, or `skipped` (never sent: no key, cooling down, does not fit).
    public var outcome: String
    public var errorType: String?
    public var errorMessage: String?
    public var latencyMs: Int64
    /// What the provider charged for, when it said (failed attempts can be charged too).
    public var tokens: UsageRecord.Tokens?

    public init(
        model: ModelID, provider: ProviderID, outcome: String, errorType: String? = nil, errorMessage: String? = nil,
        latencyMs: Int64, tokens: UsageRecord.Tokens? = nil
    ) {
        self.model = model
        self.provider = provider
        self.outcome = outcome
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.latencyMs = latencyMs
        self.tokens = tokens
    }
}
