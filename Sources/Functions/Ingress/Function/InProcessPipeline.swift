import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardUsage

/// A detector the pipeline runs in process: vision's `VisionHandler`, which the single-process server
/// conforms (`switchyard-server`). A protocol rather than the handler itself so that the ingress, which
/// runs without detectors, does not link vision's code (TurboJPEG, libpng, the detectors: ~1 MB of its
/// bootstrap; docs/packaging.md).
public protocol InProcessDetector: Sendable {
    /// The `Detect` step: one image (or batch item) through the plan's detector, within `deadline`.
    func run(_ input: VisionStepInput, invocationID: String, deadline: ContinuousClock.Instant) async
        -> VisionOutcome
}

/// The Express state machine (`infra/statemachine/switchyard.asl.json`) composed in-process: the
/// same states in the same order, calling the router, llm-caller and vision handler libraries
/// directly instead of their Lambda functions. The ASL stays the AWS path; this is the
/// single-process server's. Comments name the ASL states each part stands for.
///
/// Usage: every step's records go on the durable path exactly once, where the ASL's `Log*`
/// states send them — the router's with the branch's, each batch item's on its own. A queue
/// that refuses them past the enqueue timeout fails the request with `Switchyard.UsageNotQueued`,
/// as the ASL's `UsageNotQueued` state does (the execution fails rather than lose a bill).
public struct InProcessPipeline: Sendable {
    public let router: RouterHandler
    public let llm: LLMCallerHandler
    /// nil: the server runs without detectors (`SWITCHYARD_VISION=off`, and always in the ingress);
    /// vision steps fail with `Vision.Unavailable`, as a Catch path's outcome would.
    public let vision: (any InProcessDetector)?
    /// Where blocking work runs (libcurl transfers, onnxruntime inference; see `BlockingPool`).
    public let pool: BlockingPool
    /// The llm-caller's transport does not block its thread (the server's `CurlMultiTransport`):
    /// its calls that do nothing else that blocks stay on the caller's executor (the event loop)
    /// instead of hopping to `pool` and back. See `llmExecutor(for:)`.
    public var nonBlockingUpstream = false
    /// The durable usage path; nil when billing is off.
    public let usage: (any UsageQueue)?
    public let enqueueTimeout: Duration
    public let logger: Logger

    public init(
        router: RouterHandler, llm: LLMCallerHandler, vision: (any InProcessDetector)?, pool: BlockingPool,
        usage: (any UsageQueue)?, enqueueTimeout: Duration, logger: Logger
    ) {
        self.router = router
        self.llm = llm
        self.vision = vision
        self.pool = pool
        self.usage = usage
        self.enqueueTimeout = enqueueTimeout
        self.logger = logger
    }

    public static func routerInvocation(_ requestID: String) -> String { "inproc-router-" + requestID }
    /// The id of the in-process LLM and vision invocations of a request: fixed per request, so a
    /// retried request writes the same usage keys (items differ by their step, `batch/<id>/…`).
    public static func stepInvocation(_ requestID: String) -> String { "inproc-" + requestID }

    /// `Route` → `ChooseRoute` → the branch → its `Log*` state → `Respond*`.
    public func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse {
        let decision = await router.route(
            request, deadline: deadline, invocationID: Self.routerInvocation(request.requestID))
        return await run(decision, request: request, deadline: deadline)
    }

    /// Everything after `Route`, for a decision already made.
    public func run(_ decision: RouteDecision, request: InferenceRequest, deadline: ContinuousClock.Instant) async
        -> PipelineResponse
    {
        var response = PipelineResponse(
            requestID: decision.requestID, route: decision.route, tier: decision.tier,
            explanation: decision.explanation, status: .failed)
        switch decision.route {
        case .rejected:
            // LogRejection → RespondRejected
            guard await log(records: decision.usage, decision) else { return notQueued(response) }
            response.status = .rejected
            response.rejection =
                decision.rejection ?? StepError(errorType: "Router.Rejected", errorMessage: "rejected")
            return response
        case .llm:
            guard let plan = decision.llm else { return await unsupported(decision, response) }
            // CallLLM (CallLLMWithRetrieval when the decision plans retrieval) → LogLLMUsage → LLMAnswered
            let outcome = await callLLM(
                LLMStepInput(request: request, plan: plan, context: decision.context, retrieval: decision.retrieval),
                deadline)
            guard await log(batches: [decision.usage, outcome.usage], decision) else { return notQueued(response) }
            response.llm = outcome
            response.status = Self.status(outcome.status)
            if outcome.status == .failed { response.error = outcome.error ?? Self.noAnswer }
            return response
        case .vision:
            guard let plan = decision.vision else { return await unsupported(decision, response) }
            // Detect → LogVisionUsage → VisionAnswered
            let outcome = await detect(
                VisionStepInput(request: request, plan: plan, context: decision.context), deadline)
            guard await log(batches: [decision.usage, outcome.usage], decision) else { return notQueued(response) }
            response.vision = outcome
            response.status = Self.status(outcome.status)
            if outcome.status == .failed { response.error = outcome.error ?? Self.noAnswer }
            return response
        case .visionLLM:
            guard let llmPlan = decision.llm, let visionPlan = decision.vision else {
                return await unsupported(decision, response)
            }
            let visionInput = VisionStepInput(request: request, plan: visionPlan, context: decision.context)
            let seen: VisionOutcome
            let answer: LLMOutcome
            if llmPlan.groundWithDetections {
                // DetectForGrounding → CallGroundedLLM
                seen = await detect(visionInput, deadline)
                answer = await callLLM(
                    LLMStepInput(request: request, plan: llmPlan, context: decision.context, grounding: seen),
                    deadline)
            } else {
                // DetectAndAnswer (Parallel) → JoinTandem
                async let detected = detect(visionInput, deadline)
                async let answered = callLLM(
                    LLMStepInput(request: request, plan: llmPlan, context: decision.context), deadline)
                (seen, answer) = await (detected, answered)
            }
            // LogTandemUsage → TandemAnswered
            guard await log(batches: [decision.usage, seen.usage, answer.usage], decision) else {
                return notQueued(response)
            }
            response.llm = answer
            response.vision = seen
            if answer.status == .failed {
                response.status = .failed
                response.error = answer.error ?? Self.noAnswer
            } else if seen.status == .failed {
                response.status = .degraded
                response.error = seen.error
            } else {
                response.status = Self.status(answer.status)
            }
            return response
        case .batch:
            guard let batch = decision.batch else { return await unsupported(decision, response) }
            // ChooseItemStep → LabelWithLLM / LabelWithDetector (Map) → LogBatchUsage → RespondBatch
            guard let items = await label(batch, decision: decision, request: request, deadline: deadline) else {
                return notQueued(response)
            }
            guard await log(records: decision.usage, decision) else { return notQueued(response) }
            response.items = items
            response.status = .succeeded
            return response
        case .embedding:
            return await unsupported(decision, response)
        }
    }

    // MARK: - The Map

    /// Each item through its step with at most the plan's concurrency, each item's usage logged on
    /// its own (`LogLabelItemWith*`); outcomes in item order. nil: an item's usage was not queued.
    private func label(
        _ batch: BatchPlan, decision: RouteDecision, request: InferenceRequest, deadline: ContinuousClock.Instant
    ) async -> [BatchItemOutcome]? {
        let width = max(1, min(batch.maxConcurrency, batch.items.count))
        let items = batch.items
        return await withTaskGroup(of: (Int, BatchItemOutcome?).self) { group in
            var results = [BatchItemOutcome?](repeating: nil, count: items.count)
            var next = 0
            func start() {
                let index = next
                next += 1
                group.addTask {
                    (index, await self.label(items[index], request, route: batch.itemRoute, decision, deadline))
                }
            }
            while next < width { start() }
            var lost = false
            while let (index, outcome) = await group.next() {
                if let outcome { results[index] = outcome } else { lost = true }
                if next < items.count { start() }
            }
            guard !lost else { return nil }
            return results.compactMap { $0 }
        }
    }

    private func label(
        _ item: BatchItem, _ request: InferenceRequest, route: Route, _ decision: RouteDecision,
        _ deadline: ContinuousClock.Instant
    ) async -> BatchItemOutcome? {
        let outcome: BatchItemOutcome
        let records: [UsageRecord]
        switch route {
        case .vision:
            guard let plan = decision.vision else { return nil }
            let seen = await detect(VisionStepInput(item: item, plan: plan, context: decision.context), deadline)
            (outcome, records) = (.vision(seen), seen.usage)
        default:
            guard let plan = decision.llm else { return nil }
            let answer = await callLLM(
                LLMStepInput(item: item, parameters: request.parameters, plan: plan, context: decision.context),
                deadline)
            (outcome, records) = (.llm(answer), answer.usage)
        }
        return await log(records: records, decision) ? outcome : nil
    }

    // MARK: - Steps

    /// Where an llm-caller call runs: `pool`, unless the transport does not block and the call has
    /// no step that does: image inputs (their fetch resolves DNS and runs a pinned transfer on an
    /// easy handle) and retrieval (a scan of the chunk store). nil: the caller's executor.
    public func llmExecutor(for input: LLMStepInput) -> BlockingPool? {
        guard nonBlockingUpstream, input.retrieval == nil, input.item?.images?.isEmpty != false,
            input.request?.images?.isEmpty != false,
            input.request?.messages.allSatisfy({ message in
                !message.content.contains { if case .image = $0 { true } else { false } }
            }) != false
        else { return pool }
        return nil
    }

    private func callLLM(_ input: LLMStepInput, _ deadline: ContinuousClock.Instant) async -> LLMOutcome {
        await withTaskExecutorPreference(llmExecutor(for: input)) {
            await llm.call(input, invocationID: Self.stepInvocation(input.context.requestID), deadline: deadline)
        }
    }

    private func detect(_ input: VisionStepInput, _ deadline: ContinuousClock.Instant) async -> VisionOutcome {
        guard let vision else {
            // As DetectNoOutcome builds it when the function could not run.
            return VisionOutcome(
                requestID: input.context.requestID, itemID: input.item?.id, status: .failed, model: nil,
                provider: nil, results: [], usage: [],
                error: StepError(
                    errorType: "Vision.Unavailable", errorMessage: "this server runs without detectors"),
                timings: nil)
        }
        return await withTaskExecutorPreference(pool) {
            await vision.run(input, invocationID: Self.stepInvocation(input.context.requestID), deadline: deadline)
        }
    }

    // MARK: - Usage and endings

    private func log(records: [UsageRecord], _ decision: RouteDecision) async -> Bool {
        guard let usage, !records.isEmpty else { return true }
        return await usage.enqueue(
            UsageBatch(records: records, context: decision.context), within: enqueueTimeout, logger: logger)
    }

    private func log(batches: [[UsageRecord]], _ decision: RouteDecision) async -> Bool {
        guard let usage, batches.contains(where: { !$0.isEmpty }) else { return true }
        return await usage.enqueue(
            UsageBatch(batches: batches, context: decision.context), within: enqueueTimeout, logger: logger)
    }

    /// LogUnsupportedRoute → RouteNotSupported.
    private func unsupported(_ decision: RouteDecision, _ response: PipelineResponse) async -> PipelineResponse {
        guard await log(records: decision.usage, decision) else { return notQueued(response) }
        var response = response
        response.status = .failed
        response.error = StepError(
            errorType: "Switchyard.RouteNotSupported",
            errorMessage: "the decision names route \(decision.route.rawValue), which this pipeline has no branch for; "
                + "usage was logged")
        return response
    }

    /// UsageNotQueued.
    private func notQueued(_ response: PipelineResponse) -> PipelineResponse {
        var response = response
        response.status = .failed
        response.error = StepError(
            errorType: "Switchyard.UsageNotQueued",
            errorMessage: "the usage queue refused the request's usage after retries")
        return response
    }

    static let noAnswer = StepError(errorType: "LLM.Failed", errorMessage: "no answer")

    static func status(_ step: StepStatus) -> PipelineResponse.Status {
        switch step {
        case .succeeded: .succeeded
        case .degraded: .degraded
        case .failed: .failed
        }
    }
}
