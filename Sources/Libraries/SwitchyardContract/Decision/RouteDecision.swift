/// The router's answer: the branch to take, ready inputs for the next states, and why.
///
/// Every plan names catalog models only; the function that runs a plan resolves endpoints,
/// regions and keys from its own catalog. Kept well under the 256 KiB state limit (a 50-model
/// catalog encodes to a few KiB).
public struct RouteDecision: Codable, Sendable, Equatable {
    public var requestID: String
    public var tenantID: String
    public var tier: String
    /// Version of the policy/catalog/rates bundle the decision was made with.
    public var bundleVersion: String
    public var route: Route
    public var strategy: RoutingStrategy?
    /// The LLM step (`llm`, `vision+llm`, and `batch` when items go to an LLM).
    public var llm: LLMPlan?
    /// The detector step (`vision`, `vision+llm`, and `batch` when items go to a detector).
    public var vision: VisionPlan?
    /// The Map step.
    public var batch: BatchPlan?
    /// The embedding step.
    public var embedding: EmbeddingPlan?
    /// Retrieval before the LLM step, when a rule asks for it.
    public var retrieval: RetrievalPlan?
    /// Why the request is refused (`route == .rejected`).
    public var rejection: StepError?
    /// Most this request may cost across its attempts (what the front door reserves).
    public var costCeilingPicoUSD: PicoUSD
    /// Estimated cost of the chosen models' calls (all items for a batch).
    public var estimatedCostPicoUSD: PicoUSD
    public var matchedRule: String?
    public var qualityFloor: Double?
    /// No allowed model reached the floor; the best one within the hard limits was chosen.
    public var qualityFloorRelaxed: Bool
    public var classification: Classification?
    public var budget: BudgetStatus?
    /// Every model weighed, with its estimates, score and fate.
    public var candidates: [CandidateReport]
    /// One line a person can read.
    public var explanation: String
    /// What every usage record of this request carries about it.
    public var context: UsageContext
    /// The router's own invocation (Lambda compute), as usage records.
    public var usage: [UsageRecord]

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case tenantID = "tenantId"
        case tier, bundleVersion, route, strategy, llm, vision, batch, embedding, retrieval, rejection
        case costCeilingPicoUSD, estimatedCostPicoUSD, matchedRule, qualityFloor, qualityFloorRelaxed
        case classification, budget, explanation, context, usage, candidates
    }

    public init(
        requestID: String, tenantID: String, tier: String, bundleVersion: String, route: Route,
        strategy: RoutingStrategy?,
        llm: LLMPlan? = nil, vision: VisionPlan? = nil, batch: BatchPlan? = nil, embedding: EmbeddingPlan? = nil,
        retrieval: RetrievalPlan? = nil, rejection: StepError? = nil, costCeilingPicoUSD: PicoUSD = .zero,
        estimatedCostPicoUSD: PicoUSD = .zero, matchedRule: String? = nil, qualityFloor: Double? = nil,
        qualityFloorRelaxed: Bool = false, classification: Classification? = nil, budget: BudgetStatus? = nil,
        candidates: [CandidateReport] = [], explanation: String, context: UsageContext, usage: [UsageRecord] = []
    ) {
        self.requestID = requestID
        self.tenantID = tenantID
        self.tier = tier
        self.bundleVersion = bundleVersion
        self.route = route
        self.strategy = strategy
        self.llm = llm
        self.vision = vision
        self.batch = batch
        self.embedding = embedding
        self.retrieval = retrieval
        self.rejection = rejection
        self.costCeilingPicoUSD = costCeilingPicoUSD
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.matchedRule = matchedRule
        self.qualityFloor = qualityFloor
        self.qualityFloorRelaxed = qualityFloorRelaxed
        self.classification = classification
        self.budget = budget
        self.candidates = candidates
        self.explanation = explanation
        self.context = context
        self.usage = usage
    }
}

/// What the LLM step calls, in order.
public struct LLMPlan: Codable, Sendable, Equatable {
    /// The primary model first, then fallbacks.
    public var candidates: [LLMCandidate]
    /// Output tokens to allow (the client's `max_tokens`, else the policy's estimate for the category).
    public var maxOutputTokens: Int
    /// Put the detector's findings into the prompt (`vision+llm`).
    public var groundWithDetections: Bool

    public init(candidates: [LLMCandidate], maxOutputTokens: Int, groundWithDetections: Bool = false) {
        self.candidates = candidates
        self.maxOutputTokens = maxOutputTokens
        self.groundWithDetections = groundWithDetections
    }
}

/// One model the LLM step may call, with its limits from the catalog.
public struct LLMCandidate: Codable, Sendable, Equatable {
    public var model: ModelID
    /// Timeout of one attempt, ms.
    public var attemptTimeoutMs: Int
    /// Prompt plus output tokens the model accepts.
    public var contextWindow: Int
    /// Most output tokens the model produces in one answer.
    public var maxOutputTokens: Int?
    public var estimatedCostPicoUSD: PicoUSD
    public var estimatedLatencyMs: Int

    public init(
        model: ModelID, attemptTimeoutMs: Int, contextWindow: Int, maxOutputTokens: Int? = nil,
        estimatedCostPicoUSD: PicoUSD = .zero, estimatedLatencyMs: Int = 0
    ) {
        self.model = model
        self.attemptTimeoutMs = attemptTimeoutMs
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.estimatedLatencyMs = estimatedLatencyMs
    }
}

/// What the vision step runs: detectors in preference order and the detection settings.
public struct VisionPlan: Codable, Sendable, Equatable {
    public var candidates: [VisionCandidate]
    public var confidenceThreshold: Double?
    public var iouThreshold: Double?
    public var maxDetections: Int?

    public init(
        candidates: [VisionCandidate], confidenceThreshold: Double? = nil, iouThreshold: Double? = nil,
        maxDetections: Int? = nil
    ) {
        self.candidates = candidates
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
    }
}

/// One detector the vision step may run; where it runs (in-process, SageMaker, a container)
/// comes from the vision function's catalog.
public struct VisionCandidate: Codable, Sendable, Equatable {
    public var model: ModelID
    public var attemptTimeoutMs: Int
    public var estimatedCostPicoUSD: PicoUSD
    public var estimatedLatencyMs: Int

    public init(
        model: ModelID, attemptTimeoutMs: Int, estimatedCostPicoUSD: PicoUSD = .zero, estimatedLatencyMs: Int = 0
    ) {
        self.model = model
        self.attemptTimeoutMs = attemptTimeoutMs
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.estimatedLatencyMs = estimatedLatencyMs
    }
}

/// The Map step: items (by reference) and what each runs.
public struct BatchPlan: Codable, Sendable, Equatable {
    public var items: [BatchItem]
    /// `llm` or `vision`: which plan of the decision each item runs.
    public var itemRoute: Route
    public var maxConcurrency: Int
    /// The batch fits the policy's largest inline batch (`maxInlineItems`): it runs as an inline
    /// Map inside the Express workflow. False: a Standard workflow's Distributed Map runs it.
    public var inline: Bool
    /// The policy's largest inline batch, in items (decisions.md: 40).
    public var maxInlineItems: Int
    /// The policy's largest inline result, in bytes (decisions.md: 256 KiB, the state limit).
    public var maxInlineResultBytes: Int

    public init(
        items: [BatchItem], itemRoute: Route, maxConcurrency: Int, inline: Bool = true, maxInlineItems: Int = 40,
        maxInlineResultBytes: Int = 262_144
    ) {
        self.items = items
        self.itemRoute = itemRoute
        self.maxConcurrency = maxConcurrency
        self.inline = inline
        self.maxInlineItems = maxInlineItems
        self.maxInlineResultBytes = maxInlineResultBytes
    }

    enum CodingKeys: String, CodingKey {
        case items, itemRoute, maxConcurrency, inline, maxInlineItems, maxInlineResultBytes
    }

    /// The inline fields were added later: a document without them reads as an inline batch within
    /// decisions.md's limits (40 items, 256 KiB).
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        items = try c.decode([BatchItem].self, forKey: .items)
        itemRoute = try c.decode(Route.self, forKey: .itemRoute)
        maxConcurrency = try c.decode(Int.self, forKey: .maxConcurrency)
        inline = try c.decodeIfPresent(Bool.self, forKey: .inline) ?? true
        maxInlineItems = try c.decodeIfPresent(Int.self, forKey: .maxInlineItems) ?? 40
        maxInlineResultBytes = try c.decodeIfPresent(Int.self, forKey: .maxInlineResultBytes) ?? 262_144
    }
}

/// The embedding step.
public struct EmbeddingPlan: Codable, Sendable, Equatable {
    public var candidates: [LLMCandidate]
    public init(candidates: [LLMCandidate]) { self.candidates = candidates }
}

/// Retrieval before the LLM step: which collection, how many chunks, with which embedding model.
public struct RetrievalPlan: Codable, Sendable, Equatable {
    public var collection: String
    public var topK: Int
    /// The model that embeds the question.
    public var embeddingModel: ModelID
    /// The model the collection's chunks were embedded with, when it differs from the question's
    /// (asymmetric embedders such as e5 embed queries and passages apart, in one vector space).
    public var passageModel: ModelID?
    /// Prompt tokens the router counted for the sources in the LLM's estimate (topK × the
    /// policy's per-source bound, plus the instruction); nil in plans made before it did.
    public var estimatedSourceTokens: Int?
    /// Estimated cost of embedding the question (part of the decision's estimate and ceiling).
    public var estimatedCostPicoUSD: PicoUSD?

    public init(
        collection: String, topK: Int, embeddingModel: ModelID, passageModel: ModelID? = nil,
        estimatedSourceTokens: Int? = nil, estimatedCostPicoUSD: PicoUSD? = nil
    ) {
        self.collection = collection
        self.topK = topK
        self.embeddingModel = embeddingModel
        self.passageModel = passageModel
        self.estimatedSourceTokens = estimatedSourceTokens
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
    }
}

/// The tenant's budget at decision time.
public struct BudgetStatus: Codable, Sendable, Equatable {
    public var monthlyBudgetPicoUSD: PicoUSD
    /// nil when the spend source was unavailable.
    public var monthToDatePicoUSD: PicoUSD?
    public var remainingPicoUSD: PicoUSD?
    /// The tenant is over budget and the tier downgrades.
    public var downgraded: Bool
    /// How old the newest completed spend rollup was, ms; nil when unknown.
    public var spendStalenessMs: Int64?
    public var note: String?

    public init(
        monthlyBudgetPicoUSD: PicoUSD, monthToDatePicoUSD: PicoUSD? = nil, remainingPicoUSD: PicoUSD? = nil,
        downgraded: Bool = false,
        spendStalenessMs: Int64? = nil, note: String? = nil
    ) {
        self.monthlyBudgetPicoUSD = monthlyBudgetPicoUSD
        self.monthToDatePicoUSD = monthToDatePicoUSD
        self.remainingPicoUSD = remainingPicoUSD
        self.downgraded = downgraded
        self.spendStalenessMs = spendStalenessMs
        self.note = note
    }
}

/// One model the router weighed.
public struct CandidateReport: Codable, Sendable, Equatable {
    public var model: ModelID
    public var provider: ProviderID
    /// Which selection the model took part in.
    public var role: BackendKind
    /// Quality for the request's category; nil where the model has no score for it.
    public var quality: Double?
    public var estimatedCostPicoUSD: PicoUSD
    public var estimatedLatencyMs: Int
    /// The strategy's objective, higher is better; nil when rejected.
    public var score: Double?
    /// `primary`, `fallback`, or nil.
    public var selected: String?
    /// Why the model was not chosen.
    public var rejected: String?

    public init(
        model: ModelID, provider: ProviderID, role: BackendKind, quality: Double?, estimatedCostPicoUSD: PicoUSD,
        estimatedLatencyMs: Int, score: Double?, selected: String?, rejected: String?
    ) {
        self.model = model
        self.provider = provider
        self.role = role
        self.quality = quality
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.estimatedLatencyMs = estimatedLatencyMs
        self.score = score
        self.selected = selected
        self.rejected = rejected
    }
}
