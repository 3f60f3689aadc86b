import SwitchyardCore

/// What a request asks for; quality scores in the catalog are given per category.
///
/// The raw values are the policy file's and the decision document's spelling, so rules and the
/// state machine match on them verbatim.
public enum TaskCategory: String, Codable, Sendable, CaseIterable, Hashable {
    case chat
    case code
    case summarization
    case extraction
    case translation
    case creative
    case math
    case legal
    case medical
    case visionQA = "vision-qa"
    case detection
    case embedding

    /// By length and bytes (`RawValueIndex`): the catalog's quality keys are converted at every
    /// init, where the synthesized compare against each case in turn was ~0.2 M instructions.
    public init?(rawValue: String) {
        guard let category = Self.byRawValue.value(rawValue) else { return nil }
        self = category
    }

    private static let byRawValue = RawValueIndex<TaskCategory>()

    /// The backend kind that serves this category.
    public var backendKind: BackendKind {
        switch self {
        case .detection: .vision
        case .embedding: .embedding
        default: .llm
        }
    }

    /// Dense index for per-category arrays (quality tables, classifier scores).
    @inlinable public var index: Int {
        switch self {
        case .chat: 0
        case .code: 1
        case .summarization: 2
        case .extraction: 3
        case .translation: 4
        case .creative: 5
        case .math: 6
        case .legal: 7
        case .medical: 8
        case .visionQA: 9
        case .detection: 10
        case .embedding: 11
        }
    }

    public static let count = 12
}

/// How hard a request looks; selects the default quality floor.
public enum Difficulty: String, Codable, Sendable, CaseIterable, Hashable, Comparable {
    case easy
    case medium
    case hard

    public static func < (lhs: Difficulty, rhs: Difficulty) -> Bool { lhs.rank < rhs.rank }

    public var rank: Int {
        switch self {
        case .easy: 0
        case .medium: 1
        case .hard: 2
        }
    }
}

/// How a router picks among the models that pass the hard constraints.
public enum RoutingStrategy: String, Codable, Sendable, CaseIterable, Hashable {
    /// Lowest estimated cost among models at or above the quality floor.
    case cheapest
    /// Lowest expected latency within the cost limits, at or above the quality floor.
    case fastest
    /// Highest quality for the category within the latency and cost limits.
    case best
    /// The model the request named, checked against the tenant's tier.
    case explicit
}

/// A classifier's verdict on a request, as recorded in the decision and on every usage record.
public struct Classification: Codable, Sendable, Equatable {
    public var category: TaskCategory
    public var difficulty: Difficulty
    /// 0...1, calibrated where the classifier supports it.
    public var confidence: Double
    /// Which classifier produced the verdict (`learned`, `heuristic`, `llm`, `hint`, `default`).
    public var classifier: String
    /// Why a more expensive classifier's answer was not used, when it was asked.
    public var fallbackReason: String?
    /// Time a remote classifier took, when it was asked.
    public var llmLatencyMs: Int?

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
