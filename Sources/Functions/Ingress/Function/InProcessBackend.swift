import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardUsage
import Synchronization

/// The front door's backend without Step Functions: the router, llm-caller and vision handler
/// libraries called in-process, exactly as their Lambda functions call them; `run` is the state
/// machine's composition of them (`InProcessPipeline`). The single-process server runs every
/// request on it; the ingress runs its admission routing, embeddings and streamed chat on it (it
/// lives in the ingress's library so both can use it).
public struct InProcessBackend: FrontDoorBackend {
    public let pipeline: InProcessPipeline
    /// Decisions `route` made for requests that go on to `run` (the front door routes first to
    /// reserve the ceiling): `run` takes the same decision instead of routing again, so the
    /// router's record it bills is the one the front door priced, and the router runs once.
    let decisions = DecisionHandOff()

    public init(pipeline: InProcessPipeline) { self.pipeline = pipeline }

    public var router: RouterHandler { pipeline.router }
    public var llm: LLMCallerHandler { pipeline.llm }
    /// Where the llm-caller's blocking libcurl transfers run (see `BlockingPool`).
    public var pool: BlockingPool { pipeline.pool }

    public var table: RoutingTable { router.bundles.current().router.table }
    public var catalog: Catalog { llm.configuration.catalog }
    public var bundleVersion: String { table.bundleVersion }

    public func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision {
        let decision = await router.route(
            request, deadline: deadline, invocationID: InProcessPipeline.routerInvocation(request.requestID))
        // Chat calls the LLM step itself; the pipeline's other routes are run next.
        if decision.route != .llm, decision.route != .rejected, decision.route != .embedding {
            decisions.put(decision)
        }
        return decision
    }

    public func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse {
        if let decision = decisions.take(request.requestID, tenant: request.tenantID) {
            return await pipeline.run(decision, request: request, deadline: deadline)
        }
        return await pipeline.run(request, deadline: deadline)
    }

    public func callLLM(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)?
    ) async -> LLMOutcome {
        await withTaskExecutorPreference(pipeline.llmExecutor(for: input)) {
            await llm.call(input, invocationID: invocationID, deadline: deadline, onText: onText)
        }
    }

    public func embed(
        _ texts: [String], candidates: [LLMCandidate], context: UsageContext, dimensions: Int?, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> EmbeddingResult {
        let input = EmbeddingStepInput(
            texts: texts, plan: EmbeddingPlan(candidates: candidates), context: context, dimensions: dimensions)
        // Embeddings only call providers: they stay on the caller's executor when the transport does not block.
        let outcome = await withTaskExecutorPreference(pipeline.nonBlockingUpstream ? nil : pool) {
            await llm.embed(input, invocationID: invocationID, deadline: deadline)
        }
        return EmbeddingResult(
            status: outcome.status, model: outcome.model, vectors: outcome.vectors, tokens: outcome.tokens,
            usage: outcome.usage, error: outcome.error)
    }

    // `budget`, `price` and `cost` read the bundle in place (`BundleStore.read`): through `table`
    // each call copied the whole router (its table and bundle) and destroyed it again.
    public func budget(ofTenant tenant: String) -> (tier: String, budget: PicoUSD)? {
        let found: (String, PicoUSD)? = router.bundles.read { router in
            let policy = router.table.policy
            guard let spec = policy.tenants.first(where: { $0.id == tenant }), let tier = policy.tiers[spec.tier]
            else { return nil }
            return (spec.tier, spec.monthlyBudget ?? tier.monthlyBudget)
        }
        return found.map { (tier: $0.0, budget: $0.1) }
    }

    public func price(of model: ModelID) -> ModelList.Price? {
        let now = WallClock.nowMilliseconds()
        guard let rate = router.bundles.read({ $0.table.bundle.rates.model(model.rawValue, at: now) }) else {
            return nil
        }
        return ModelList.Price(
            inputPerMillion: rate.inputPerMillionTokens, cachedInputPerMillion: rate.cachedInputPerMillionTokens,
            outputPerMillion: rate.outputPerMillionTokens, perImage: rate.perImage)
    }

    public func cost(of records: [UsageRecord]) -> PicoUSD {
        let calculator = CostCalculator(rates: router.bundles.read { $0.table.bundle.rates })
        var total = PicoUSD.zero
        for record in records {
            guard let priced = try? record.priced(by: calculator), let cost = priced.cost else { continue }
            total = (try? total.adding(PicoUSD(cost.totalPicoUSD))) ?? total
        }
        return total
    }
}

/// A bounded hand-off of decisions from `route` to `run` by request id (oldest dropped past
/// `capacity`: a decision never run, e.g. a refused reservation, costs a slot until then).
final class DecisionHandOff: Sendable {
    let capacity: Int
    private let state = Mutex<(byID: [String: RouteDecision], order: [String], head: Int)>(([:], [], 0))

    init(capacity: Int = 4096) { self.capacity = capacity }

    func put(_ decision: RouteDecision) {
        state.withLock { s in
            if s.byID.updateValue(decision, forKey: decision.requestID) == nil { s.order.append(decision.requestID) }
            while s.byID.count > capacity, s.head < s.order.count {
                s.byID[s.order[s.head]] = nil
                s.head += 1
            }
            if s.head > 1024, s.head * 2 > s.order.count {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// The decision for `requestID` of `tenant`, once.
    func take(_ requestID: String, tenant: String) -> RouteDecision? {
        state.withLock { s in
            guard let decision = s.byID[requestID], decision.tenantID == tenant else { return nil }
            s.byID[requestID] = nil
            return decision
        }
    }
}
