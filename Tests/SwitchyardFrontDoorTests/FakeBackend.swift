import SwitchyardContract
import SwitchyardCore
import SwitchyardUsage
import Synchronization

@testable import SwitchyardFrontDoor

/// A backend played by the test: a fixed decision per request, a scripted answer (streamed in
/// pieces), and flat prices (every record costs $0.001), so expectations are computed by hand.
final class FakeBackend: FrontDoorBackend, Sendable {
    let catalog: Catalog
    let bundleVersion = "test-bundle"
    let script: Mutex<Script>
    let calls = Atomic<Int>(0)

    struct Script: Sendable {
        var rejection: StepError?
        var pieces = ["Par", "is."]
        var fail: StepError?
        /// Text already streamed before the stream is cut (with `fail`).
        var cutAfterPieces = 0
        var ceiling = PicoUSD(5_000_000_000)  // $0.005
        var budget = PicoUSD(1_000_000_000_000)  // $1
        var delay: Duration = .zero
        /// Batch items whose LLM call fails (by item id).
        var failingItems: Set<String> = []
        /// What the detector finds on every image.
        var detections: [Detection] = [
            Detection(box: BoundingBox(x1: 1, y1: 2, x2: 30, y2: 40), confidence: 0.9, classID: 0, className: "person")
        ]
        /// A failed detection with this error.
        var visionError: StepError?
        /// How a retrieval the decision plans (`hints.retrieval`) ends: `retrieved` (one citation
        /// per call, from the plan's collection), `empty` or `failed`.
        var retrievalStatus = "retrieved"
    }
    /// The retrieval plans the LLM step was given, in order.
    let retrievalPlans = Mutex<[RetrievalPlan?]>([])
    /// Batch chunks run (request ids), in order.
    let chunksRun = Mutex<[String]>([])

    init(script: Script = Script()) throws {
        catalog = try Catalog(
            version: "test",
            models: [
                CatalogModel(
                    id: "small", provider: .openAI, kind: .llm, contextWindow: 1000,
                    latency: LatencyPrior(p50Ms: 10, p95Ms: 20), quality: [:], tiers: ["basic"]),
                CatalogModel(
                    id: "embed", provider: .openAI, kind: .embedding, contextWindow: 1000,
                    latency: LatencyPrior(p50Ms: 10, p95Ms: 20), quality: [:], tiers: ["basic"]),
            ])
        self.script = Mutex(script)
    }

    func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision {
        let s = script.withLock { $0 }
        let context = UsageContext(requestID: request.requestID, tenantID: request.tenantID, tier: "basic")
        let routerRecord = record(context, step: "router", tokens: nil)
        if let rejection = s.rejection {
            return RouteDecision(
                requestID: request.requestID, tenantID: request.tenantID, tier: "basic", bundleVersion: bundleVersion,
                route: .rejected, strategy: nil, rejection: rejection, explanation: "no", context: context,
                usage: [routerRecord])
        }
        let llmPlan = LLMPlan(
            candidates: [LLMCandidate(model: "small", attemptTimeoutMs: 1000, contextWindow: 1000)], maxOutputTokens: 64
        )
        if let items = request.batch {
            return RouteDecision(
                requestID: request.requestID, tenantID: request.tenantID, tier: "basic", bundleVersion: bundleVersion,
                route: .batch, strategy: .cheapest, llm: llmPlan,
                batch: BatchPlan(items: items, itemRoute: .llm, maxConcurrency: 4), costCeilingPicoUSD: s.ceiling,
                explanation: "batch", context: context, usage: [routerRecord])
        }
        if request.messages.isEmpty, !(request.images ?? []).isEmpty {
            return RouteDecision(
                requestID: request.requestID, tenantID: request.tenantID, tier: "basic", bundleVersion: bundleVersion,
                route: .vision, strategy: .fastest,
                vision: VisionPlan(candidates: [VisionCandidate(model: "detector", attemptTimeoutMs: 1000)]),
                costCeilingPicoUSD: s.ceiling, explanation: "detect", context: context, usage: [routerRecord])
        }
        return RouteDecision(
            requestID: request.requestID, tenantID: request.tenantID, tier: "basic", bundleVersion: bundleVersion,
            route: .llm, strategy: .cheapest,
            llm: LLMPlan(
                candidates: [LLMCandidate(model: "small", attemptTimeoutMs: 1000, contextWindow: 1000)],
                maxOutputTokens: 64),
            retrieval: request.hints?.retrieval.map {
                RetrievalPlan(collection: $0, topK: 2, embeddingModel: "embed")
            },
            costCeilingPicoUSD: s.ceiling, matchedRule: "rule-1",
            classification: Classification(category: .chat, difficulty: .easy, confidence: 1, classifier: "hint"),
            explanation: "cheapest", context: context, usage: [routerRecord])
    }

    func record(_ context: UsageContext, step: String, tokens: UsageRecord.Tokens?) -> UsageRecord {
        var r = UsageRecord(
            context: context, step: step, invocationID: "inproc-" + context.requestID, timestamp: 1,
            backend: .external, modality: .text, latency: .init(totalMs: 1), status: .succeeded)
        r.tokens = tokens
        return r
    }

    func callLLM(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)?
    ) async -> LLMOutcome {
        calls.add(1, ordering: .relaxed)
        let s = script.withLock { $0 }
        let tokens = UsageRecord.Tokens(input: 10, output: 4, cached: 2)
        let usage = [record(input.context, step: "llm", tokens: tokens)]
        if s.delay > .zero { try? await Task.sleep(for: s.delay) }
        if let fail = s.fail {
            for piece in s.pieces.prefix(s.cutAfterPieces) { onText?(piece) }
            return LLMOutcome(
                requestID: input.context.requestID, status: .failed, answer: nil, attempts: [], usage: usage,
                error: fail, latencyMs: 1)
        }
        for piece in s.pieces { onText?(piece) }
        let answer = LLMAnswer(
            text: s.pieces.joined(), finishReason: "stop", model: "small", provider: .openAI, providerModel: "small-1",
            fallbackUsed: false, tokens: tokens)
        var outcome = LLMOutcome(
            requestID: input.context.requestID, status: .succeeded, answer: answer, attempts: [], usage: usage,
            error: nil, latencyMs: 1)
        retrievalPlans.withLock { $0.append(input.retrieval) }
        if let plan = input.retrieval {
            let failed = s.retrievalStatus == "failed"
            outcome.retrieval = RetrievalReport(
                status: s.retrievalStatus, collection: plan.collection, embeddingModel: plan.embeddingModel,
                index: "scan", searched: failed ? nil : 7,
                error: failed ? StepError(errorType: "Retrieval.Unavailable", errorMessage: "store down") : nil,
                latencyMs: 3)
            outcome.citations =
                s.retrievalStatus == "retrieved"
                ? [
                    Citation(
                        index: 1, source: "\(plan.collection)/a.md", position: 4, heading: "Terms", score: 0.8125,
                        chunkID: "c-1")
                ] : (failed ? nil : [])
            if failed { outcome.status = .degraded }
        }
        return outcome
    }

    /// The pipeline as the fake plays it: the decision, then the LLM, vision or batch step (no usage
    /// path of its own).
    func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse {
        let decision = await route(request, deadline: deadline)
        let s = script.withLock { $0 }
        var response = PipelineResponse(
            requestID: decision.requestID, route: decision.route, tier: decision.tier,
            explanation: decision.explanation, status: .rejected, rejection: decision.rejection)
        if let batch = decision.batch {
            chunksRun.withLock { $0.append(request.requestID) }
            response.status = .succeeded
            response.items = batch.items.map { item in
                let tokens = UsageRecord.Tokens(input: 3, output: 2)
                var record = self.record(decision.context, step: "batch/\(item.id)/llm", tokens: tokens)
                if s.failingItems.contains(item.id) {
                    record.status = .failed
                    return .llm(
                        LLMOutcome(
                            requestID: request.requestID, itemID: item.id, status: .failed, answer: nil, attempts: [],
                            usage: [record], error: StepError(errorType: "Provider.Timeout", errorMessage: "slow"),
                            latencyMs: 1))
                }
                let answer = LLMAnswer(
                    text: "label:" + (item.text ?? ""), finishReason: "stop", model: "small", provider: .openAI,
                    providerModel: "small-1", fallbackUsed: false, tokens: tokens)
                return .llm(
                    LLMOutcome(
                        requestID: request.requestID, itemID: item.id, status: .succeeded, answer: answer, attempts: [],
                        usage: [record], error: nil, latencyMs: 1))
            }
            return response
        }
        if decision.route == .vision {
            var record = self.record(decision.context, step: "vision", tokens: nil)
            record.backend = .lambda
            let failed = s.visionError != nil
            response.status = failed ? .failed : .succeeded
            response.error = s.visionError
            response.vision = VisionOutcome(
                requestID: request.requestID, status: failed ? .failed : .succeeded, model: "detector",
                provider: .lambda,
                results: failed
                    ? []
                    : [
                        ImageDetections(
                            width: 640, height: 480, format: "JPEG", orientation: 1, detections: s.detections)
                    ],
                usage: [record], error: s.visionError, timings: nil)
            return response
        }
        guard decision.route != .rejected, let plan = decision.llm else { return response }
        let outcome = await callLLM(
            LLMStepInput(request: request, plan: plan, context: decision.context), invocationID: "inproc",
            deadline: deadline, onText: nil)
        response.llm = outcome
        response.status = outcome.status == .failed ? .failed : .succeeded
        response.error = outcome.error
        return response
    }

    func embed(
        _ texts: [String], candidates: [LLMCandidate], context: UsageContext, dimensions: Int?, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> EmbeddingResult {
        let tokens = UsageRecord.Tokens(input: Int64(texts.count) * 3, output: 0)
        return EmbeddingResult(
            status: .succeeded, model: candidates.first?.model, vectors: texts.map { _ in [0.5, -1.25] },
            tokens: tokens, usage: [record(context, step: "embedding", tokens: tokens)], error: nil)
    }

    func budget(ofTenant tenant: String) -> (tier: String, budget: PicoUSD)? {
        tenant == "acme" ? ("basic", script.withLock { $0.budget }) : nil
    }

    func price(of model: ModelID) -> ModelList.Price? {
        ModelList.Price(
            inputPerMillion: PicoUSD(150_000_000_000), cachedInputPerMillion: nil,
            outputPerMillion: PicoUSD(600_000_000_000), perImage: .zero)
    }

    /// $0.001 per record.
    func cost(of records: [UsageRecord]) -> PicoUSD { PicoUSD(Int64(records.count) * 1_000_000_000) }
}

/// The ledger's contract in memory (the real one is MongoDB's): admit while committed < budget.
final class MemoryLedger: BudgetLedger, Sendable {
    let state = Mutex<(committed: Int64, open: Set<String>, ceilings: [String: Int64])>((0, [], [:]))
    /// A store that writes the reservation but answers too late: the write lands, the call fails.
    let answersLate = Mutex(false)

    func reserve(
        tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD, deadline: ContinuousClock.Instant
    ) async throws(UsageError) -> Reservation {
        let reservation: Reservation = state.withLock { s in
            if s.open.contains(requestID) { return .alreadyReserved(committed: PicoUSD(s.committed)) }
            guard s.committed < budget.rawValue else { return .overBudget(committed: PicoUSD(s.committed)) }
            s.committed += ceiling.rawValue
            s.open.insert(requestID)
            s.ceilings[requestID] = ceiling.rawValue
            return .admitted(committed: PicoUSD(s.committed))
        }
        if answersLate.withLock({ $0 }) { throw .storeUnavailable(attempts: 1, detail: "deadline passed") }
        return reservation
    }

    func settle(_ requests: [LedgerRequest], deadline: ContinuousClock.Instant) async throws(UsageError) -> Int {
        state.withLock { s in
            requests.reduce(0) { closed, request in
                guard s.open.remove(request.requestID) != nil else { return closed }
                s.committed -= s.ceilings.removeValue(forKey: request.requestID) ?? 0
                return closed + 1
            }
        }
    }

    func release(_ request: LedgerRequest, deadline: ContinuousClock.Instant) async throws(UsageError) -> Bool {
        try await settle([request], deadline: deadline) > 0
    }
    func balance(tenant: String, at: Int64, deadline: ContinuousClock.Instant) async throws(UsageError) -> LedgerBalance
    {
        let s = state.withLock { $0 }
        return LedgerBalance(
            tenant: tenant, month: 0, spentPicoUSD: 0, reservedPicoUSD: s.committed, committedPicoUSD: s.committed,
            openReservations: s.open.count)
    }
}

final class MemoryQueue: UsageQueue, Sendable {
    let batches = Mutex<[UsageBatch]>([])
    func enqueue(_ batch: UsageBatch, deadline: ContinuousClock.Instant) async throws(UsageError) {
        batches.withLock { $0.append(batch) }
    }
    var records: [UsageRecord] { batches.withLock { $0.flatMap(\.allRecords) } }
}
