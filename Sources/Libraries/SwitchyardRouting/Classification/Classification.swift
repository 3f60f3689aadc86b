/// A classifier's verdict on a request, as recorded in the decision.
public struct Classification: Codable, Sendable, Equatable {
    public var category: TaskCategory
    public var difficulty: Difficulty
    /// 0...1; the heuristic's margin between its top two categories, or the model's own figure.
    public var confidence: Double
    /// Which classifier produced the verdict: `heuristic`, `llm`, or `hint`.
    public var classifier: String
    /// Why the LLM classifier's answer was not used, when it was asked and the heuristic answered.
    public var fallbackReason: String?
    /// Time the LLM classifier took, when it was asked.
    public var llmLatencyMs: Int?

    enum CodingKeys: String, CodingKey {
        case category, difficulty, confidence, classifier
        case fallbackReason = "fallback_reason"
        case llmLatencyMs = "llm_latency_ms"
    }

    public init(
        category: TaskCategory, difficulty: Difficulty, confidence: Double, classifier: String,
        fallbackReason: String? = nil, llmLatencyMs: Int? = nil
    ) {
        self.category = category
        self.difficulty = difficulty
        self.confidence = confidence
        self.classifier = classifier
        self.fallbackReason = fallbackReason
        self.llmLatencyMs = llmLatencyMs
    }
}

/// What a classifier sees of a request.
public struct ClassificationInput: Sendable {
    public var text: String
    public var imageCount: Int
    public var modality: Modality

    public init(text: String, imageCount: Int, modality: Modality) {
        self.text = text
        self.imageCount = imageCount
        self.modality = modality
    }

    public init(_ profile: RequestProfile) {
        self.init(text: profile.classifierText, imageCount: profile.imageCount, modality: profile.modality)
    }
}

/// Labels a request with a category and difficulty.
///
/// Implementations must always answer: a classifier that depends on a remote model falls back to
/// the heuristic on timeout or bad output rather than failing the request.
public protocol TaskClassifier: Sendable {
    /// - Parameters:
    ///   - input: the request's text and images.
    ///   - deadline: answer by then; remote classifiers give up and fall back at it.
    func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification
}
