import SwitchyardContract
import SwitchyardCore

/// Why the router refused a request. `errorType` is what the state machine's Catch matches
/// (`infra/` uses these strings verbatim); the message tells a client developer what to change.
public enum RouterError: FunctionError, Equatable {
    case unknownTenant(String)
    case unknownModel(String)
    case modelNotAllowed(model: String, tier: String)
    case emptyPrompt(String)
    case promptTooLarge(String)
    case unsupportedContent(String)
    case contradictoryHints(String)
    case invalidHint(field: String, problem: String)
    case budgetExceeded(tenant: String, spentMicroUSD: Int64, budgetMicroUSD: Int64)
    case noEligibleModel(String)

    /// Every errorType the router can raise, for `infra/` and the tests.
    public static let allErrorTypes = [
        "Router.UnknownTenant", "Router.UnknownModel", "Router.ModelNotAllowed", "Router.EmptyPrompt",
        "Router.PromptTooLarge", "Router.UnsupportedContent", "Router.ContradictoryHints", "Router.InvalidHint",
        "Router.BudgetExceeded", "Router.NoEligibleModel",
    ]

    public var errorType: String {
        switch self {
        case .unknownTenant: "Router.UnknownTenant"
        case .unknownModel: "Router.UnknownModel"
        case .modelNotAllowed: "Router.ModelNotAllowed"
        case .emptyPrompt: "Router.EmptyPrompt"
        case .promptTooLarge: "Router.PromptTooLarge"
        case .unsupportedContent: "Router.UnsupportedContent"
        case .contradictoryHints: "Router.ContradictoryHints"
        case .invalidHint: "Router.InvalidHint"
        case .budgetExceeded: "Router.BudgetExceeded"
        case .noEligibleModel: "Router.NoEligibleModel"
        }
    }

    public var errorMessage: String {
        switch self {
        case .unknownTenant(let id): "tenant \"\(id.prefix(80))\" is not in the routing policy; check tenant_id"
        case .unknownModel(let id): "model \"\(id.prefix(80))\" is not in the model catalog; check hints.model"
        case .modelNotAllowed(let model, let tier):
            "model \"\(model)\" is not available on the \(tier) tier; omit hints.model or upgrade the tier"
        case .emptyPrompt(let detail): "the request has nothing to route: \(detail)"
        case .promptTooLarge(let detail): "the request is too large: \(detail)"
        case .unsupportedContent(let detail): "unsupported content: \(detail)"
        case .contradictoryHints(let detail): "the hints contradict each other: \(detail)"
        case .invalidHint(let field, let problem): "hints.\(field): \(problem)"
        case .budgetExceeded(let tenant, let spent, let budget):
            "tenant \"\(tenant)\" has spent \(formatUSD(spent)) of its \(formatUSD(budget)) monthly budget and its tier rejects requests over budget"
        case .noEligibleModel(let detail): "no model satisfies the request's constraints: \(detail)"
        }
    }
}

/// `$12.345678` from micro-USD, without Foundation's formatters.
func formatUSD(_ micro: Int64) -> String {
    let sign = micro < 0 ? "-" : ""
    let magnitude = micro.magnitude
    let fraction = String(magnitude % 1_000_000)
    return "\(sign)$\(magnitude / 1_000_000).\(String(repeating: "0", count: 6 - fraction.count))\(fraction)"
}
