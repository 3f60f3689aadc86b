import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

extension FrontDoorService {
    /// `POST /v1/chat/completions`.
    func chat(_ http: FrontDoorRequest, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let received = Self.now()
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let chat = try ChatCompletionRequest(body: http.body)
        let (requestID, idempotent) = try requestID(http, tenant: key.tenant)
        guard idempotent, !chat.stream else {
            return await admitAndRun(
                chat, http: http, key: key, requestID: requestID, received: received, deadline: deadline)
        }
        let cacheKey = key.tenant + "\u{1F}" + requestID
        // `once`'s steps without its closure: the chat path keeps its async frames small (below).
        switch await idempotency.claim(cacheKey) {
        case .replay(let answer): return Self.replay(answer)
        case .run: break
        }
        let response = await admitAndRun(
            chat, http: http, key: key, requestID: requestID, received: received, deadline: deadline)
        settle(cacheKey, with: response)
        return response
    }

    // Why the work between the awaits below sits in small synchronous functions that are not
    // inlined: an async function's frame holds every temporary of the code inlined into it, and
    // is allocated from the task's allocator on every call (with the answer, refusals and body
    // parse inlined, `admitAndRun`'s frame was 11.2 KB; now 5.2 KB). Synchronous code keeps its
    // temporaries on the thread's stack.

    @inline(never)
    private func admitAndRun(
        _ chat: ChatCompletionRequest, http: FrontDoorRequest, key: StoredKey, requestID: String, received: Int64,
        deadline: ContinuousClock.Instant
    ) async -> FrontDoorResponse {
        let estimate = http.body.count / 4 + (chat.parameters.maxTokens ?? configuration.assumedOutputTokens)
        do {
            try limiter.admit(key: key.id, limits: key.limits, tokens: estimate)
        } catch {
            return .error(error, requestID: requestID)
        }
        if let refused = await backPressure() {
            limiter.settle(key: key.id, estimated: estimate, used: 0)
            return .error(refused, requestID: requestID)
        }
        let decision = await backend.route(
            Self.inference(chat, tenant: key.tenant, requestID: requestID, received: received), deadline: deadline)
        var used = 0
        defer { limiter.settle(key: key.id, estimated: estimate, used: used) }
        let plan: LLMPlan
        switch Self.llmPlan(decision, chat: chat) {
        case .success(let routed): plan = routed
        case .failure(let refusal):
            await enqueue(decision.usage, context: decision.context)
            return .error(refusal, requestID: requestID)
        }
        if let refused = await reserve(decision, tenant: key.tenant, requestID: requestID) {
            await enqueueRefused(decision.usage, context: decision.context, refusal: refused)
            return .error(refused, requestID: requestID)
        }
        if chat.stream {
            return stream(
                Self.llmInput(
                    decision, plan: plan, chat: chat, tenant: key.tenant, requestID: requestID, received: received),
                chat: chat, decision: decision, requestID: requestID, deadline: deadline
            ) { tokens in
                self.limiter.settle(key: key.id, estimated: 0, used: tokens)
            }
        }
        let outcome = await backend.callLLM(
            Self.llmInput(
                decision, plan: plan, chat: chat, tenant: key.tenant, requestID: requestID, received: received),
            invocationID: Self.invocationID(requestID), deadline: deadline, onText: nil)
        let records = decision.usage + outcome.usage
        await enqueue(records, context: decision.context)
        used = Self.tokensUsed(outcome.usage)
        return answer(outcome, records: records, decision: decision, requestID: requestID, received: received)
    }

    /// The contract's request for a chat body.
    @inline(never)
    static func inference(
        _ chat: ChatCompletionRequest, tenant: String, requestID: String, received: Int64
    ) -> InferenceRequest {
        InferenceRequest(
            requestID: requestID, tenantID: tenant, user: chat.user, messages: chat.messages,
            hints: chat.hints.isEmpty ? nil : chat.hints, parameters: chat.parameters, stream: chat.stream,
            receivedAtMs: received)
    }

    /// The decision's LLM plan, or why it cannot be run as a chat completion (the router refused
    /// it, or it routed to a step chat completions do not serve).
    @inline(never)
    static func llmPlan(_ decision: RouteDecision, chat: ChatCompletionRequest) -> Result<LLMPlan, FrontDoorError> {
        if let refusal = refusal(decision, chat: chat) { return .failure(refusal) }
        guard let plan = decision.llm else {
            return .failure(
                .invalidRequest(
                    param: "messages",
                    message: "this request routes to \(decision.route.rawValue), which chat completions do not serve"))
        }
        return .success(plan)
    }

    /// The LLM step's input for a decision and its LLM plan. The request is built again from the
    /// chat body (it only retains its strings and arrays) rather than held in the frame across
    /// the routing and the reservation.
    @inline(never)
    static func llmInput(
        _ decision: RouteDecision, plan: LLMPlan, chat: ChatCompletionRequest, tenant: String, requestID: String,
        received: Int64
    ) -> LLMStepInput {
        var plan = plan
        // The single-process path has no detector step to ground in; the LLM sees the image itself.
        plan.groundWithDetections = false
        // The decision's retrieval plan goes with it, as the ASL's CallLLMWithRetrieval passes it.
        return LLMStepInput(
            request: inference(chat, tenant: tenant, requestID: requestID, received: received), plan: plan,
            context: decision.context, retrieval: decision.retrieval)
    }

    /// Input and output tokens of all the usage records (the rate limiter's tokens per minute).
    static func tokensUsed(_ usage: [UsageRecord]) -> Int {
        Int(clamping: usage.reduce(Int64(0)) { $0 &+ ($1.tokens.map { $0.input &+ $0.output } ?? 0) })
    }

    /// The answer to a chat request the LLM step ran: the completion, or the step's error, with
    /// the routing summary headers and the cost of `records`.
    @inline(never)
    func answer(
        _ outcome: LLMOutcome, records: [UsageRecord], decision: RouteDecision, requestID: String, received: Int64
    ) -> FrontDoorResponse {
        let cost = backend.cost(of: records)
        guard let answer = outcome.answer, outcome.status != .failed else {
            let error = outcome.error ?? StepError(errorType: "LLM.Failed", errorMessage: "no answer")
            var response = FrontDoorResponse.error(.upstream(error), requestID: requestID)
            response.headers += ChatCompletionResponse.routeHeaders(
                requestID: requestID, decision: decision, model: nil, fallback: false, cost: cost
            ).filter { $0.0 != "x-request-id" }
            return response
        }
        let body = ChatCompletionResponse.completionBody(
            id: "chatcmpl-" + requestID, created: received / 1000, answer: answer, usageTokens: answer.tokens,
            cost: cost, sources: outcome)
        return .json(
            200, body,
            headers: ChatCompletionResponse.routeHeaders(
                requestID: requestID, decision: decision, model: answer.model, fallback: answer.fallbackUsed,
                cost: cost))
    }

    /// The router's refusal as an OpenAI error, or nil when it routed.
    static func refusal(_ decision: RouteDecision, chat: ChatCompletionRequest) -> FrontDoorError? {
        guard decision.route == .rejected else { return nil }
        let rejection = decision.rejection ?? StepError(errorType: "Router.Rejected", errorMessage: "rejected")
        switch rejection.errorType {
        case "Router.BudgetExceeded": return .budgetExceeded(message: rejection.errorMessage)
        case "Router.UnknownModel", "Router.ModelNotAllowed": return .modelNotFound(chat.model?.rawValue ?? "auto")
        default: return .routerRejected(errorType: rejection.errorType, message: rejection.errorMessage)
        }
    }

    /// Back-pressure: a refusal while more usage messages wait to be stored than the billing
    /// allows. Checked before routing, so a refused request runs nothing and bills nothing (it
    /// would otherwise add the router's record to the very backlog it was refused for).
    func backPressure() async -> FrontDoorError? {
        guard let billing else { return nil }
        if billing.reservations.saturated {
            return .admissionBusy("the budget ledger is answering more slowly than requests arrive")
        }
        guard let backlog = billing.backlog, await backlog() > billing.maxBacklog else { return nil }
        return .unavailable("usage is being stored more slowly than requests arrive; retry in a moment")
    }

    /// Reserves the decision's cost ceiling against the tenant's monthly budget.
    /// - Returns: the refusal, or nil when admitted (or billing is off).
    func reserve(_ decision: RouteDecision, tenant: String, requestID: String) async -> FrontDoorError? {
        await reserve(ceiling: decision.costCeilingPicoUSD, tenant: tenant, requestID: requestID)
    }

    /// Reserves `ceiling` for the request against the tenant's monthly budget: the one admission
    /// step of every billed endpoint.
    /// - Returns: the refusal, or nil when admitted (or billing is off).
    @inline(never)  // its own small frame, not its refusals' temporaries in every caller's
    func reserve(ceiling: PicoUSD, tenant: String, requestID: String) async -> FrontDoorError? {
        guard let billing else { return nil }
        guard let (_, budget) = backend.budget(ofTenant: tenant) else {
            return .routerRejected(errorType: "Router.UnknownTenant", message: "tenant \(tenant) has no budget")
        }
        let request = ReservationRequest(tenant: tenant, requestID: requestID, ceiling: ceiling, budget: budget)
        switch await billing.reservations.reserve(request) {
        case .reserved(.overBudget(let committed)):
            return .budgetExceeded(
                message: "The monthly budget of $\(budget) is committed ($\(committed) spent or reserved); "
                    + "this request may cost up to $\(ceiling).")
        case .reserved:
            return nil
        case .failed(let error):
            // The batcher has released whatever the failed round trip may have written.
            logger.error("ledger reservation failed", metadata: ["switchyard.error": .string(error.description)])
            return .unavailable("the budget ledger did not answer")
        case .queueFull:
            return .admissionBusy("the budget ledger's admission queue is full")
        case .timedOut:
            return .admissionBusy("the budget ledger did not answer within the admission bound")
        }
    }

    /// The account that pays for work done on requests refused for our own overload.
    public static let platformTenant = "switchyard-platform"

    /// Puts the records of a request refused after routing on the durable usage path.
    ///
    /// Who pays (decisions.md, "One durable usage path": every *billed* call): a refusal for the
    /// tenant's own reasons (its budget) bills the tenant its router step, as before. A refusal for
    /// our own overload or outage (a 503: `admission_busy`, an unreachable ledger) is not a call the
    /// tenant is billed for: the tenant did nothing wrong and cannot avoid it. The work was still
    /// done, so it is recorded, as the platform's cost (`platformCost`).
    @inline(never)
    func enqueueRefused(_ records: [UsageRecord], context: UsageContext, refusal: FrontDoorError) async {
        guard refusal.status == 503 else { return await enqueue(records, context: context) }
        var platform = context
        platform.tenantID = Self.platformTenant
        platform.user = nil
        await enqueue(records.map { Self.platformCost($0, refusal: refusal) }, context: platform)
    }

    /// `record` as the platform's cost of a refusal for our overload: the tenant is
    /// `platformTenant` (so no tenant's spend, budget or bill counts it), the status `rejected`
    /// with the refusal's errorType, and the cause names the tenant whose request it was. The
    /// invocation id gets an `overload-` prefix, so a retry of the request that is served later
    /// writes its own, charged router record under the original key instead of colliding with
    /// this one.
    static func platformCost(_ record: UsageRecord, refusal: FrontDoorError) -> UsageRecord {
        var record = record
        record.errorCause = "not charged: \(refusal.errorType) refused this request of tenant \(record.tenant)"
        record.tenant = platformTenant
        record.user = nil
        record.status = .rejected
        record.errorType = refusal.errorType
        let invocation = "overload-" + record.invocationID
        if invocation.utf8.count <= 256 { record.invocationID = invocation }
        return record
    }

    /// Puts records on the durable usage path; retried within the enqueue timeout, then logged.
    func enqueue(_ records: [UsageRecord], context: UsageContext) async {
        guard let billing, !records.isEmpty else { return }
        _ = await billing.queue.enqueue(
            UsageBatch(records: records, context: context), within: configuration.enqueueTimeout, logger: logger)
    }

    /// The invocation id of in-process steps: fixed per request, so a retried request writes the
    /// same usage keys instead of new ones.
    static func invocationID(_ requestID: String) -> String { "inproc-" + requestID }
}
