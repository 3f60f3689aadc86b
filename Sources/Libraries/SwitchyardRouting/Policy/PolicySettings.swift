import SwitchyardContract

/// Policy-wide defaults the strategies fall back on.
public struct PolicyDefaults: Codable, Sendable, Equatable {
    /// Default quality floor per difficulty, 0...1.
    public var qualityFloor: QualityFloors
    /// Expected output tokens per category (`TaskCategory` raw values) plus `default`.
    public var outputTokens: [String: Int]
    /// Fallback models listed after the primary.
    public var fallbackCount: Int
    /// Per-attempt timeout: expected p95 latency times `multiplier`, clamped to `min_ms...max_ms`.
    public var attemptTimeout: AttemptTimeout
    /// Cost ceiling = the most expensive of primary and fallbacks times this, capped by limits.
    public var costCeilingMultiplier: Double
    /// Models whose recent error rate is above this are routed around.
    public var maxErrorRate: Double
    /// Samples a live latency estimate needs before it replaces the prior.
    public var minLatencySamples: Int
    /// When no allowed model reaches the quality floor, use the best that passes the hard limits
    /// instead of failing with `Router.NoEligibleModel`.
    public var relaxQualityFloor: Bool
    /// Map state concurrency for batches.
    public var batchMaxConcurrency: Int

    enum CodingKeys: String, CodingKey {
        case qualityFloor = "quality_floor"
        case outputTokens = "output_tokens"
        case fallbackCount = "fallback_count"
        case attemptTimeout = "attempt_timeout"
        case costCeilingMultiplier = "cost_ceiling_multiplier"
        case maxErrorRate = "max_error_rate"
        case minLatencySamples = "min_latency_samples"
        case relaxQualityFloor = "relax_quality_floor"
        case batchMaxConcurrency = "batch_max_concurrency"
    }

    public init(
        qualityFloor: QualityFloors = QualityFloors(easy: 0.5, medium: 0.7, hard: 0.85),
        outputTokens: [String: Int] = ["default": 400], fallbackCount: Int = 2,
        attemptTimeout: AttemptTimeout = AttemptTimeout(multiplier: 2, minMs: 1000, maxMs: 60000),
        costCeilingMultiplier: Double = 3, maxErrorRate: Double = 0.25, minLatencySamples: Int = 20,
        relaxQualityFloor: Bool = true, batchMaxConcurrency: Int = 20
    ) {
        self.qualityFloor = qualityFloor
        self.outputTokens = outputTokens
        self.fallbackCount = fallbackCount
        self.attemptTimeout = attemptTimeout
        self.costCeilingMultiplier = costCeilingMultiplier
        self.maxErrorRate = maxErrorRate
        self.minLatencySamples = minLatencySamples
        self.relaxQualityFloor = relaxQualityFloor
        self.batchMaxConcurrency = batchMaxConcurrency
    }
}

public struct QualityFloors: Codable, Sendable, Equatable {
    public var easy: Double
    public var medium: Double
    public var hard: Double

    public init(easy: Double, medium: Double, hard: Double) {
        self.easy = easy
        self.medium = medium
        self.hard = hard
    }

    public subscript(difficulty: Difficulty) -> Double {
        switch difficulty {
        case .easy: easy
        case .medium: medium
        case .hard: hard
        }
    }
}

public struct AttemptTimeout: Codable, Sendable, Equatable {
    public var multiplier: Double
    public var minMs: Int
    public var maxMs: Int

    enum CodingKeys: String, CodingKey {
        case multiplier
        case minMs = "min_ms"
        case maxMs = "max_ms"
    }

    public init(multiplier: Double, minMs: Int, maxMs: Int) {
        self.multiplier = multiplier
        self.minMs = minMs
        self.maxMs = maxMs
    }
}

/// Limits on what a request may carry; beyond them the router answers with a typed error.
public struct PolicyLimits: Codable, Sendable, Equatable {
    /// UTF-8 bytes of prompt text (all messages, or one batch item).
    public var maxPromptBytes: Int
    public var maxImages: Int
    /// Bytes per image (declared size, or decoded size of inline base64).
    public var maxImageBytes: Int
    public var maxBatchItems: Int
    /// Accepted `media_type`s for images.
    public var imageMediaTypes: [String]
    /// Accepted URL schemes for image references (`s3`, `https`).
    public var imageURLSchemes: [String]

    enum CodingKeys: String, CodingKey {
        case maxPromptBytes = "max_prompt_bytes"
        case maxImages = "max_images"
        case maxImageBytes = "max_image_bytes"
        case maxBatchItems = "max_batch_items"
        case imageMediaTypes = "image_media_types"
        case imageURLSchemes = "image_url_schemes"
    }

    public init(
        maxPromptBytes: Int = 512 * 1024, maxImages: Int = 8, maxImageBytes: Int = 5 * 1024 * 1024,
        maxBatchItems: Int = 1000, imageMediaTypes: [String] = ["image/jpeg", "image/png", "image/webp"],
        imageURLSchemes: [String] = ["s3", "https"]
    ) {
        self.maxPromptBytes = maxPromptBytes
        self.maxImages = maxImages
        self.maxImageBytes = maxImageBytes
        self.maxBatchItems = maxBatchItems
        self.imageMediaTypes = imageMediaTypes
        self.imageURLSchemes = imageURLSchemes
    }
}

/// Which classifier labels requests.
public enum ClassifierMode: String, Codable, Sendable, Hashable {
    /// Keyword heuristics only (microseconds).
    case heuristic
    /// The learned n-gram model (`classifier.learned`, microseconds); below the confidence
    /// threshold its verdict is marked uncertain and `uncertain` rules apply the safe default.
    case learned
    /// Ask the classifier model every time; the learned model (else the heuristic) on timeout or bad output.
    case llm
    /// Ask the classifier model only when the learned model's (else the heuristic's) confidence is
    /// below the threshold.
    case hybrid
}

/// The learned classifier's weights and the version the policy was tuned with.
public struct LearnedClassifierSettings: Codable, Sendable, Equatable {
    /// Model file, relative to the policy file's folder (`classifier/router-ngram-1.bin`) or absolute.
    public var file: String
    /// The model's own version string; a different file is an init error (`Router.InvalidClassifier`).
    public var version: String

    public init(file: String, version: String) {
        self.file = file
        self.version = version
    }
}

public struct ClassifierSettings: Codable, Sendable, Equatable {
    public var mode: ClassifierMode
    /// Model id sent to the OpenAI-compatible endpoint (`smollm2-135m`).
    public var model: String?
    /// Base URL of the OpenAI-compatible endpoint (`http://127.0.0.1:8765/v1`); env
    /// `SWITCHYARD_CLASSIFIER_URL` overrides it.
    public var baseURL: String?
    /// Deadline for the classifier call; past it the heuristic answers.
    public var timeoutMs: Int
    /// Below this confidence a verdict is uncertain: `hybrid` asks the model, and rules with
    /// `"uncertain": true` (the safe defaults) match.
    public var confidenceThreshold: Double
    /// The learned classifier; required when any tier uses `learned`.
    public var learned: LearnedClassifierSettings?

    enum CodingKeys: String, CodingKey {
        case mode, model, learned
        case baseURL = "base_url"
        case timeoutMs = "timeout_ms"
        case confidenceThreshold = "confidence_threshold"
    }

    public init(
        mode: ClassifierMode = .heuristic, model: String? = nil, baseURL: String? = nil, timeoutMs: Int = 1500,
        confidenceThreshold: Double = 0.5, learned: LearnedClassifierSettings? = nil
    ) {
        self.mode = mode
        self.model = model
        self.baseURL = baseURL
        self.timeoutMs = timeoutMs
        self.confidenceThreshold = confidenceThreshold
        self.learned = learned
    }
}
