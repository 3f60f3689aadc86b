import SwitchyardContract

/// Why a candidate was not chosen. Kept as a value during the decision (no string formatting on
/// the hot path) and written as a sentence when the decision is encoded.
public enum Rejection: Sendable, Equatable, Codable, CustomStringConvertible {
    case notInTier(String)
    case excludedByRule(String)
    case notADowngradeModel
    case cannotServe(TaskCategory)
    case noVisionInput
    case contextTooSmall(window: Int, needed: Int)
    case unhealthy(errorRate: Double)
    case tooSlow(estimatedMs: Int, capMs: Int)
    case tooExpensive(estimatedMicroUSD: Int64, capMicroUSD: Int64)
    case exceedsBudget(estimatedMicroUSD: Int64, remainingMicroUSD: Int64)
    case belowQualityFloor(quality: Double, floor: Double)
    case notExplicitModel
    /// A sentence read back from an encoded decision.
    case described(String)

    public var description: String {
        switch self {
        case .notInTier(let tier): "not available on the \(tier) tier"
        case .excludedByRule(let rule): "excluded by rule \(rule)"
        case .notADowngradeModel: "tenant is over budget and this is not a downgrade model"
        case .cannotServe(let category): "has no quality score for \(category.rawValue)"
        case .noVisionInput: "does not accept image input"
        case .contextTooSmall(let window, let needed): "context window \(window) tokens < \(needed) needed"
        case .unhealthy(let rate): "recent error rate \(Int((rate * 100).rounded()))% is above the limit"
        case .tooSlow(let estimated, let cap): "expected latency \(estimated) ms > cap \(cap) ms"
        case .tooExpensive(let estimated, let cap): "estimated cost \(estimated) micro-USD > cap \(cap)"
        case .exceedsBudget(let estimated, let remaining):
            "estimated cost \(estimated) micro-USD > remaining budget \(remaining)"
        case .belowQualityFloor(let quality, let floor): "quality \(quality) < floor \(floor)"
        case .notExplicitModel: "request named another model; kept as a spare"
        case .described(let text): text
        }
    }

    /// Hard rejections can never be chosen; a quality-floor miss can be, when the policy relaxes it.
    var isHard: Bool {
        if case .belowQualityFloor = self { return false }
        return true
    }

    public init(from decoder: any Decoder) throws {
        self = .described(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
