import SwitchyardContract
import SwitchyardCore

/// Why the router refused a request. The handler turns each into a decision with `route:
/// rejected` and `rejection: StepError{errorType, errorMessage}`, which the state machine's
/// Choice sends to a logged refusal; only an event that does not decode is a Lambda error
/// (`Runtime.InvalidEvent`). `errorType` values are stable (dashboards and `infra/` match them);
/// the message tells a client developer what to change.
public enum RouterError: FunctionError, Equatable {
    case unknownTenant(String)
    case unknownModel(String)
    case modelNotAllowed(model: String, tier: String)
    case emptyPrompt(String)
    case promptTooLarge(String)
    case unsupportedContent(String)
    case contradictoryHints(String)
    case invalidHint(field: String, problem: String)
    /// A field outside the hints out of range or malformed (ids, `parameters.maxTokens`, batch item ids).
    case invalidRequest(field: String, problem: String)
    case budgetExceeded(tenant: String, spent: PicoUSD, budget: PicoUSD)
    case noEligibleModel(String)

    /// Every errorType the router can put in a rejection, for `infra/` and the tests.
    public static let allErrorTypes = [
        "Router.UnknownTenant", "Router.UnknownModel", "Router.ModelNotAllowed", "Router.EmptyPrompt",
        "Router.PromptTooLarge", "Router.UnsupportedContent", "Router.ContradictoryHints", "Router.InvalidHint",
        "Router.InvalidRequest", "Router.BudgetExceeded", "Router.NoEligibleModel",
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
        case .invalidRequest: "Router.InvalidRequest"
        case .budgetExceeded: "Router.BudgetExceeded"
        case .noEligibleModel: "Router.NoEligibleModel"
        }
    }

    public var errorMessage: String {
        switch self {
        case .unknownTenant(let id): "tenant \"\(id.prefix(80))\" is not in the routing policy; check tenantId"
        case .unknownModel(let id): "model \"\(id.prefix(80))\" is not in the model catalog; check hints.model"
        case .modelNotAllowed(let model, let tier):
            "model \"\(model)\" is not available on the \(tier) tier; omit hints.model or upgrade the tier"
        case .emptyPrompt(let detail): "the request has nothing to route: \(detail)"
        case .promptTooLarge(let detail): "the request is too large: \(detail)"
        case .unsupportedContent(let detail): "unsupported content: \(detail)"
        case .contradictoryHints(let detail): "the hints contradict each other: \(detail)"
        case .invalidHint(let field, let problem): "hints.\(field): \(problem)"
        case .invalidRequest(let field, let problem): "\(field): \(problem)"
        case .budgetExceeded(let tenant, let spent, let budget):
            "tenant \"\(tenant)\" has spent $\(spent) of its $\(budget) monthly budget "
                + "and its tier rejects requests over budget"
        case .noEligibleModel(let detail): "no model satisfies the request's constraints: \(detail)"
        }
    }

    /// The rejection as the decision carries it.
    public var stepError: StepError { StepError(errorType: errorType, errorMessage: errorMessage) }
}
