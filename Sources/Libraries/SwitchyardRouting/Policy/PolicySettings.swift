import SwitchyardContract

/// Policy-wide defaults the strategies fall back on.
public struct PolicyDefaults: Sendable, Equatable {
    /// Default quality floor per difficulty, 0...1.
    public var qualityFloor: QualityFloors
    /// Expected output tokens per category (`TaskCategory` raw values) plus `default`: the plan's
    /// `maxOutputTokens` and the estimate's output when the client sets no `maxTokens`.
    public var outputTokens: [String: Int]
    /// Fallback models listed after the primary.
    public var fallbackCount: Int
    /// Per-attempt timeout: expected p95 latency times `multiplier`, clamped to `minMs...maxMs`.
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
    /// Map state concurrency for detector items, which are CPU-bound: at most the vision
    /// function's reserved concurrency, or items are throttled; nil means `batchMaxConcurrency`.
    public var batchMaxDetectorConcurrency: Int?
    /// The largest batch that runs as an inline Map in the Express workflow (decisions.md: 40).
    public var batchMaxInlineItems: Int
    /// The largest inline batch result, bytes (decisions.md: 256 KiB, Step Functions' state limit).
    public var batchMaxInlineResultBytes: Int
    /// Detection settings of the vision plan when the request's hints set none.
    public var detection: DetectionDefaults

    public init(
        qualityFloor: QualityFloors = QualityFloors(easy: 0.5, medium: 0.7, hard: 0.85),
        outputTokens: [String: Int] = ["default": 400], fallbackCount: Int = 2,
        attemptTimeout: AttemptTimeout = AttemptTimeout(multiplier: 2, minMs: 1000, maxMs: 60000),
        costCeilingMultiplier: Double = 3, maxErrorRate: Double = 0.25, minLatencySamples: Int = 20,
        relaxQualityFloor: Bool = true, batchMaxConcurrency: Int = 20, batchMaxInlineItems: Int = 40,
        batchMaxInlineResultBytes: Int = 262_144, detection: DetectionDefaults = DetectionDefaults(),
        batchMaxDetectorConcurrency: Int? = nil
    ) {
        self.batchMaxDetectorConcurrency = batchMaxDetectorConcurrency
        self.qualityFloor = qualityFloor
        self.outputTokens = outputTokens
        self.fallbackCount = fallbackCount
        self.attemptTimeout = attemptTimeout
        self.costCeilingMultiplier = costCeilingMultiplier
        self.maxErrorRate = maxErrorRate
        self.minLatencySamples = minLatencySamples
        self.relaxQualityFloor = relaxQualityFloor
        self.batchMaxConcurrency = batchMaxConcurrency
        self.batchMaxInlineItems = batchMaxInlineItems
        self.batchMaxInlineResultBytes = batchMaxInlineResultBytes
        self.detection = detection
    }
}

public struct QualityFloors: Sendable, Equatable {
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

public struct AttemptTimeout: Sendable, Equatable {
    public var multiplier: Double
    public var minMs: Int
    public var maxMs: Int

    public init(multiplier: Double, minMs: Int, maxMs: Int) {
        self.multiplier = multiplier
        self.minMs = minMs
        self.maxMs = maxMs
    }
}

/// What the vision plan asks of a detector unless the request's hints say otherwise.
public struct DetectionDefaults: Sendable, Equatable {
    /// Detections below this confidence are dropped, (0, 1].
    public var confidenceThreshold: Double
    /// NMS IoU threshold, (0, 1].
    public var iouThreshold: Double
    /// Most detections per image.
    public var maxDetections: Int

    public init(confidenceThreshold: Double = 0.25, iouThreshold: Double = 0.45, maxDetections: Int = 300) {
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
    }
}

/// Limits on what a request may carry; beyond them the router answers with a rejection.
public struct PolicyLimits: Sendable, Equatable {
    /// UTF-8 bytes of prompt text (all messages, or one batch item).
    public var maxPromptBytes: Int
    public var maxImages: Int
    /// Bytes per inline image (decoded size estimated from its base64).
    public var maxImageBytes: Int
    public var maxBatchItems: Int
    /// Largest `parameters.maxTokens` a client may ask for (each model then caps it at its own limit).
    public var maxOutputTokens: Int
    /// Accepted media types for images (inline ones as declared, URLs by their file extension).
    public var imageMediaTypes: [String]

    public init(
        maxPromptBytes: Int = 512 * 1024, maxImages: Int = 8, maxImageBytes: Int = 5 * 1024 * 1024,
        maxBatchItems: Int = 1000, maxOutputTokens: Int = 1_000_000,
        imageMediaTypes: [String] = ["image/jpeg", "image/png", "image/webp"]
    ) {
        self.maxPromptBytes = maxPromptBytes
        self.maxImages = maxImages
        self.maxImageBytes = maxImageBytes
        self.maxBatchItems = maxBatchItems
        self.maxOutputTokens = maxOutputTokens
        self.imageMediaTypes = imageMediaTypes
    }
}

/// Which classifier labels requests.
public enum ClassifierMode: String, Sendable, Hashable {
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
public struct LearnedClassifierSettings: Sendable, Equatable {
    /// Model file, relative to the policy file's folder (`classifier/router-ngram-4.bin`) or absolute.
    public var file: String
    /// The model's own version string; a different file is an init error (`Router.InvalidClassifier`).
    public var version: String

    public init(file: String, version: String) {
        self.file = file
        self.version = version
    }
}

public struct ClassifierSettings: Sendable, Equatable {
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
