import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardUsage

/// The front door's backend without Step Functions: the router, llm-caller and vision handler
/// libraries called in-process, exactly as their Lambda functions call them; `run` is the state
/// machine's composition of them (`InProcessPipeline`). The single-process server runs every
/// request on it; the ingress runs its admission routing, embeddings and streamed chat on it (it
/// lives in the ingress's library so both can use it).
public struct InProcessBackend: FrontDoorBackend {
    public let pipeline: InProcessPipeline

    public init(pipeline: InProcessPipeline) { self.pipeline = pipeline }

    public var router: RouterHandler { pipeline.router }
    public var llm: LLMCallerHandler { pipeline.llm }
    /// Where the llm-caller's blocking libcurl transfers run (see `BlockingPool`).
    public var pool: BlockingPool { pipeline.pool }

    public var table: RoutingTable { router.bundles.current().router.table }
    public var catalog: Catalog { llm.configuration.catalog }
    public var bundleVersion: String { table.bundleVersion }

    public func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision {
        await router.route(
            request, deadline: deadline, invocationID: InProcessPipeline.routerInvocation(request.requestID))
    }

    public func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse {
        await pipeline.run(request, deadline: deadline)
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
