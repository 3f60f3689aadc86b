import SwitchyardContract

/// One entry of the model catalog: who serves it, what it costs, how fast and how good it is.
///
/// Prices are integer micro-USD so that costs add up exactly; quality is 0...1 per category and
/// a category a model has no score for is one it cannot serve.
public struct ModelSpec: Codable, Sendable, Equatable {
    /// Catalog id, used in hints, tiers, rules and the decision (`gpt-4o`, `yolov8n-sagemaker`).
    public var id: String
    public var provider: ProviderID
    public var kind: BackendKind
    /// The name the provider knows the model by; defaults to `id`.
    public var providerModel: String?
    /// Base URL, SageMaker endpoint name or function name, passed through to the caller.
    public var endpoint: String?
    public var prices: ModelPrices
    public var latency: LatencyPrior
    /// Quality per category (`TaskCategory` raw values), 0...1.
    public var quality: [String: Double]
    /// Prompt plus output tokens the model accepts; 0 for models that take no text.
    public var contextWindow: Int
    public var capabilities: [ModelCapability]
    /// Tier names allowed to use this model.
    public var tiers: [String]

    enum CodingKeys: String, CodingKey {
        case id, provider, kind, endpoint, prices, latency, quality, capabilities, tiers
        case providerModel = "provider_model"
        case contextWindow = "context_window"
    }

    public init(
        id: String, provider: ProviderID, kind: BackendKind, providerModel: String? = nil, endpoint: String? = nil,
        prices: ModelPrices, latency: LatencyPrior, quality: [String: Double], contextWindow: Int,
        capabilities: [ModelCapability], tiers: [String]
    ) {
        self.id = id
        self.provider = provider
        self.kind = kind
        self.providerModel = providerModel
        self.endpoint = endpoint
        self.prices = prices
        self.latency = latency
        self.quality = quality
        self.contextWindow = contextWindow
        self.capabilities = capabilities
        self.tiers = tiers
    }
}

/// List prices in integer micro-USD (1 USD = 1,000,000). Absent fields are zero.
public struct ModelPrices: Codable, Sendable, Equatable {
    /// Per 1M input tokens (GPT-4o in the brief: 5,000,000 = $5).
    public var inputPerMillion: Int64
    /// Per 1M input tokens served from the provider's prompt cache.
    public var cachedInputPerMillion: Int64
    /// Per 1M output tokens (GPT-4o in the brief: 20,000,000 = $20).
    public var outputPerMillion: Int64
    /// Per image in the request (vision APIs priced per image).
    public var perImage: Int64
    /// Per second of backend time (GPU endpoints, Lambda GB-seconds).
    public var perSecond: Int64
    /// Per call (Lambda's per-request fee, SageMaker's per-invocation overhead).
    public var perRequest: Int64

    enum CodingKeys: String, CodingKey {
        case inputPerMillion = "input_per_million"
        case cachedInputPerMillion = "cached_input_per_million"
        case outputPerMillion = "output_per_million"
        case perImage = "per_image"
        case perSecond = "per_second"
        case perRequest = "per_request"
    }

    public init(
        inputPerMillion: Int64 = 0, cachedInputPerMillion: Int64 = 0, outputPerMillion: Int64 = 0, perImage: Int64 = 0,
        perSecond: Int64 = 0, perRequest: Int64 = 0
    ) {
        self.inputPerMillion = inputPerMillion
        self.cachedInputPerMillion = cachedInputPerMillion
        self.outputPerMillion = outputPerMillion
        self.perImage = perImage
        self.perSecond = perSecond
        self.perRequest = perRequest
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        inputPerMillion = try c.decodeIfPresent(Int64.self, forKey: .inputPerMillion) ?? 0
        cachedInputPerMillion = try c.decodeIfPresent(Int64.self, forKey: .cachedInputPerMillion) ?? 0
        outputPerMillion = try c.decodeIfPresent(Int64.self, forKey: .outputPerMillion) ?? 0
        perImage = try c.decodeIfPresent(Int64.self, forKey: .perImage) ?? 0
        perSecond = try c.decodeIfPresent(Int64.self, forKey: .perSecond) ?? 0
        perRequest = try c.decodeIfPresent(Int64.self, forKey: .perRequest) ?? 0
    }
}

/// Latency priors, used until live signals have enough samples for the model.
public struct LatencyPrior: Codable, Sendable, Equatable {
    /// Time to first token; for LLMs the fixed part of a call.
    public var ttftMs: Int?
    /// Median end-to-end latency of a typical call.
    public var p50Ms: Int
    /// 95th percentile end-to-end latency of a typical call; sets the per-attempt timeout.
    public var p95Ms: Int
    /// Decode speed; when present, latency is estimated as TTFT plus output tokens at this rate.
    public var outputTokensPerSecond: Int?

    enum CodingKeys: String, CodingKey {
        case ttftMs = "ttft_ms"
        case p50Ms = "p50_ms"
        case p95Ms = "p95_ms"
        case outputTokensPerSecond = "output_tokens_per_second"
    }

    public init(ttftMs: Int? = nil, p50Ms: Int, p95Ms: Int, outputTokensPerSecond: Int? = nil) {
        self.ttftMs = ttftMs
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.outputTokensPerSecond = outputTokensPerSecond
    }
}
