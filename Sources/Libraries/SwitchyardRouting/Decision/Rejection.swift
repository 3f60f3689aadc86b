import SwitchyardContract

/// Why a candidate was not chosen. A plain value while the candidates are weighed (copied once
/// per model per decision, so it holds no strings); written as a sentence only for the decision's
/// candidate report, by `RoutingTable.text(for:…)`.
enum Rejection: Sendable, Equatable {
    case notInTier
    case excludedByRule
    case notADowngradeModel
    case cannotServe(TaskCategory)
    case noVisionInput
    case contextTooSmall(window: Int, needed: Int)
    case unhealthy(errorRate: Double)
    case tooSlow(estimatedMs: Int, capMs: Int)
    case tooExpensive(estimated: PicoUSD, cap: PicoUSD)
    case exceedsBudget(estimated: PicoUSD, remaining: PicoUSD)
    /// The estimate does not fit `PicoUSD` (a hostile size or a misconfigured rate).
    case estimateOutOfRange
    case belowQualityFloor(quality: Double, floor: Double)
    case notExplicitModel

    /// Hard rejections can never be chosen; a quality-floor miss can be, when the policy relaxes it.
    var isHard: Bool {
        if case .belowQualityFloor = self { return false }
        return true
    }
}

extension RoutingTable {
    /// The sentence for a candidate report. The frequent ones (tier, category, quality floor) are
    /// put together from texts made once per bundle or decision, because formatting a number per
    /// candidate would cost more than the rest of the decision.
    func text(
        for rejection: Rejection, model: Int, category: TaskCategory, tier: CompiledTier, rule: RoutingRule?
    ) -> String {
        switch rejection {
        case .notInTier: tier.notInTierText
        case .excludedByRule: "excluded by rule \(rule?.name ?? "-")"
        case .notADowngradeModel: "tenant is over budget and this is not a downgrade model"
        case .cannotServe(let category): Self.cannotServeTexts[category.index]
        case .noVisionInput: "does not accept image input"
        case .contextTooSmall(let window, let needed): "context window \(window) tokens < \(needed) needed"
        case .unhealthy(let rate): "recent error rate \(Int((rate * 100).rounded()))% is above the limit"
        case .tooSlow(let estimated, let cap):
            Self.joined("expected latency ", String(estimated), " ms > cap ", String(cap), " ms")
        case .tooExpensive(let estimated, let cap):
            Self.joined("estimated cost $", USDAmount.text(estimated), " > cap $", USDAmount.text(cap), "")
        case .exceedsBudget(let estimated, let remaining):
            Self.joined(
                "estimated cost $", USDAmount.text(estimated), " > remaining budget $", USDAmount.text(remaining), "")
        case .estimateOutOfRange: "estimated cost beyond the representable range"
        case .belowQualityFloor(let quality, let floor):
            belowFloorTexts.text(quality: quality, floor: floor, model: model, category: category)
        case .notExplicitModel: "request named another model; kept as a spare"
        }
    }

    static let cannotServeTexts = TaskCategory.allCases.map { "has no quality score for \($0.rawValue)" }

    /// Five parts in one allocation (interpolation grows its buffer as it goes; these sentences are
    /// written once per rejected model).
    @inline(__always)
    static func joined(_ a: String, _ b: String, _ c: String, _ d: String, _ e: String) -> String {
        var text = String()
        text.reserveCapacity(a.utf8.count + b.utf8.count + c.utf8.count + d.utf8.count + e.utf8.count)
        text += a
        text += b
        text += c
        text += d
        text += e
        return text
    }
}
