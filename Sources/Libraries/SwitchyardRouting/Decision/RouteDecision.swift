import SwitchyardContract

/// The router function's output and the state machine's input to its Choice state.
///
/// `backend` picks the branch (`llm`, `vision`, `vision+llm`, `batch`, `embedding`); the model
/// fields are what the backend tasks call; the rest explains the choice for logs and dashboards.
/// Kept small (a 50-model catalog encodes to a few KiB) against the 256 KiB state limit.
public struct RouteDecision: Codable, Sendable, Equatable {
    public var requestID: String
    public var tenantID: String
    public var tier: String
    public var policyID: String
    public var backend: BackendPath
    public var strategy: RoutingStrategy
    /// The model to call first (the LLM on the `vision+llm` path).
    public var primary: ModelChoice
    /// Models to try, in order, when the primary fails.
    public var fallbacks: [ModelChoice]
    /// The detector on the `vision+llm` path, run in parallel with `primary`.
    public var vision: VisionBranch?
    /// Map-state parameters on the `batch` path.
    public var batch: BatchPlan?
    /// Timeout for one call to the primary, ms.
    public var attemptTimeoutMs: Int
    /// Most this request may cost across its attempts, micro-USD.
    public var costCeilingMicroUSD: Int64
    /// Estimated cost of the primary call(s), micro-USD (all items for a batch).
    public var estimatedCostMicroUSD: Int64
    public var matchedRule: String?
    public var qualityFloor: Double
    /// No allowed model reached the floor; the best one within the hard limits was chosen.
    public var qualityFloorRelaxed: Bool
    public var classification: Classification
    public var budget: BudgetStatus
    /// Every model of the relevant kinds with its estimates, score and fate.
    public var candidates: [CandidateReport]
    /// One line a person can read.
    public var explanation: String

    // Declared in the order a reader wants them: what to do first, why after, candidates last.
    enum CodingKeys: String, CodingKey {
        case requestID = "request_id"
        case tenantID = "tenant_id"
        case tier
        case policyID = "policy_id"
        case backend, strategy, primary, fallbacks, vision, batch
        case attemptTimeoutMs = "attempt_timeout_ms"
        case costCeilingMicroUSD = "cost_ceiling_micro_usd"
        case estimatedCostMicroUSD = "estimated_cost_micro_usd"
        case matchedRule = "matched_rule"
        case qualityFloor = "quality_floor"
        case qualityFloorRelaxed = "quality_floor_relaxed"
        case explanation, classification, budget, candidates
    }
}

/// The state machine branch.
public enum BackendPath: String, Codable, Sendable, CaseIterable {
    case llm
    case vision
    case visionLLM = "vision+llm"
    case batch
    case embedding
}

/// A model to call, with what the caller needs to reach it.
public struct ModelChoice: Codable, Sendable, Equatable {
    public var model: String
    public var provider: ProviderID
    public var providerModel: String
    public var endpoint: String?
    public var kind: BackendKind
    public var estimatedCostMicroUSD: Int64
    public var estimatedLatencyMs: Int
    public var attemptTimeoutMs: Int

    enum CodingKeys: String, CodingKey {
        case model, provider
        case providerModel = "provider_model"
        case endpoint, kind
        case estimatedCostMicroUSD = "estimated_cost_micro_usd"
        case estimatedLatencyMs = "estimated_latency_ms"
        case attemptTimeoutMs = "attempt_timeout_ms"
    }
}

public struct VisionBranch: Codable, Sendable, Equatable {
    public var primary: ModelChoice
    public var fallbacks: [ModelChoice]
}

public struct BatchPlan: Codable, Sendable, Equatable {
    public var items: Int
    /// What each item calls: `llm` or `vision`.
    public var itemBackend: BackendKind
    public var maxConcurrency: Int

    enum CodingKeys: String, CodingKey {
        case items
        case itemBackend = "item_backend"
        case maxConcurrency = "max_concurrency"
    }
}

public struct BudgetStatus: Codable, Sendable, Equatable {
    public var monthlyBudgetMicroUSD: Int64
    /// nil when the spend source was unavailable.
    public var monthToDateMicroUSD: Int64?
    public var remainingMicroUSD: Int64?
    /// The tenant is over budget and the tier downgrades.
    public var downgraded: Bool
    public var note: String?

    enum CodingKeys: String, CodingKey {
        case monthlyBudgetMicroUSD = "monthly_budget_micro_usd"
        case monthToDateMicroUSD = "month_to_date_micro_usd"
        case remainingMicroUSD = "remaining_micro_usd"
        case downgraded, note
    }
}

/// One model the router weighed.
public struct CandidateReport: Codable, Sendable, Equatable {
    public var model: String
    public var provider: ProviderID
    /// `llm` or `vision`: which selection the model took part in.
    public var role: BackendKind
    /// Quality for the request's category; nil where the model has no score for it.
    public var quality: Double?
    public var estimatedCostMicroUSD: Int64
    public var estimatedLatencyMs: Int
    /// The strategy's objective, higher is better: -cost (cheapest), -latency ms (fastest),
    /// quality (best); adjusted for the model's recent error rate. nil when rejected.
    public var score: Double?
    /// `primary`, `fallback`, or nil.
    public var selected: String?
    /// Why the model was not chosen; nil for the chosen ones and for eligible spares.
    public var rejected: Rejection?

    enum CodingKeys: String, CodingKey {
        case model, provider, role, quality
        case estimatedCostMicroUSD = "estimated_cost_micro_usd"
        case estimatedLatencyMs = "estimated_latency_ms"
        case score, selected, rejected
    }
}
