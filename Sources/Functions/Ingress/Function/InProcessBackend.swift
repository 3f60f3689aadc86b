import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardUsage

/// The front door's backend without Step Functions: the router and the llm-caller handler
/// libraries called in-process, exactly as their Lambda functions call them. The single-process
/// server runs every request on it; the ingress runs its admission routing, embeddings and
/// streamed chat on it (it lives in the ingress's library so both can use it).
public struct InProcessBackend: FrontDoorBackend {
    public let router: RouterHandler
    public let llm: LLMCallerHandler
    /// Where the llm-caller's blocking libcurl transfers run (see `BlockingPool`).
    public let pool: BlockingPool

    public init(router: RouterHandler, llm: LLMCallerHandler, pool: BlockingPool) {
        self.router = router
        self.llm = llm
        self.pool = pool
    }

    public var table: RoutingTable { router.bundles.current().router.table }
    public var catalog: Catalog { llm.configuration.catalog }
    public var bundleVersion: String { table.bundleVersion }

    public func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision {
        await router.route(request, deadline: deadline, invocationID: "inproc-router-" + request.requestID)
    }

    public func callLLM(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)?
    ) async -> LLMOutcome {
        await withTaskExecutorPreference(pool) {
            await llm.call(input, invocationID: invocationID, deadline: deadline, onText: onText)
        }
    }

    public func embed(
        _ texts: [String], candidates: [LLMCandidate], context: UsageContext, dimensions: Int?, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> EmbeddingResult {
        let input = EmbeddingStepInput(
            texts: texts, plan: EmbeddingPlan(candidates: candidates), context: context, dimensions: dimensions)
        let outcome = await withTaskExecutorPreference(pool) {
            await llm.embed(input, invocationID: invocationID, deadline: deadline)
        }
        return EmbeddingResult(
            status: outcome.status, model: outcome.model, vectors: outcome.vectors, tokens: outcome.tokens,
            usage: outcome.usage, error: outcome.error)
    }

    public func budget(ofTenant tenant: String) -> (tier: String, budget: PicoUSD)? {
        let policy = table.policy
        guard let spec = policy.tenants.first(where: { $0.id == tenant }), let tier = policy.tiers[spec.tier] else {
            return nil
        }
        return (spec.tier, spec.monthlyBudget ?? tier.monthlyBudget)
    }

    public func price(of model: ModelID) -> ModelList.Price? {
        guard let rate = table.bundle.rates.model(model.rawValue, at: WallClock.nowMilliseconds()) else { return nil }
        return ModelList.Price(
            inputPerMillion: rate.inputPerMillionTokens, cachedInputPerMillion: rate.cachedInputPerMillionTokens,
            outputPerMillion: rate.outputPerMillionTokens, perImage: rate.perImage)
    }

    public func cost(of records: [UsageRecord]) -> PicoUSD {
        let calculator = CostCalculator(rates: table.bundle.rates)
        var total = PicoUSD.zero
        for record in records {
            guard let priced = try? record.priced(by: calculator), let cost = priced.cost else { continue }
            total = (try? total.adding(PicoUSD(cost.totalPicoUSD))) ?? total
        }
        return total
    }
}
