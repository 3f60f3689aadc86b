import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Builds the structured `LLMOutcome` from a call: its status, every attempt with its tokens,
/// and one `UsageRecord` per attempt that was sent (skipped ones — no key, cooling down, does not
/// fit — get none), keyed by (requestId, step, invocationId, attempt index).
struct OutcomeBuilder {
    let context: UsageContext
    /// `llm`, or `batch/<item id>/llm` on the Map path.
    let step: String
    let itemID: String?
    /// The Lambda request id (or `inproc-<id>` for in-process calls).
    let invocationID: String
    let compute: ComputeEnvironment
    let modality: Modality

    static let maxMessageBytes = 1024
    /// Per attempt (and per usage record's `errorCause`): 16 candidates × 10 attempts stay far
    /// below Step Functions' 256 KiB state limit.
    static let maxAttemptMessageBytes = 300

    init(
        input: LLMStepInput, invocationID: String, compute: ComputeEnvironment, modality: Modality, step: String = "llm"
    ) {
        context = input.context
        itemID = input.item?.id
        self.step = input.item.map { "batch/\($0.id)/\(step)" } ?? step
        self.invocationID = invocationID
        self.compute = compute
        self.modality = modality
    }

    /// A call that failed before any attempt (invalid input, unknown model).
    func failed(_ error: StepError, started: ContinuousClock.Instant) -> LLMOutcome {
        LLMOutcome(
            requestID: context.requestID, itemID: itemID, status: .failed, answer: nil, attempts: [], usage: [],
            error: trimmed(error), latencyMs: (ContinuousClock.now - started).milliseconds)
    }

    func outcome(_ call: CallOutcome<ChatResponse>, started: ContinuousClock.Instant) -> LLMOutcome {
        let fallback = (call.answeredBy ?? 0) > 0
        let (attempts, usage) = records(call)
        let latency = (ContinuousClock.now - started).milliseconds
        guard let response = call.response, let answering = call.attempts.last else {
            let error = call.error ?? .invalidRequest("no model candidates given")
            return LLMOutcome(
                requestID: context.requestID, itemID: itemID, status: .failed, answer: nil, attempts: attempts,
                usage: usage, error: trimmed(StepError(errorType: error.errorType, errorMessage: error.errorMessage)),
                latencyMs: latency)
        }
        let answer = LLMAnswer(
            text: response.text, finishReason: response.finishReason.rawValue, model: answering.model,
            provider: answering.provider, providerModel: response.model,
            toolCalls: response.toolCalls.isEmpty ? nil : response.toolCalls, fallbackUsed: fallback,
            tokens: response.usage, ttftMs: response.timeToFirstToken?.milliseconds)
        return LLMOutcome(
            requestID: context.requestID, itemID: itemID, status: fallback ? .degraded : .succeeded, answer: answer,
            attempts: attempts, usage: usage, error: nil, latencyMs: latency)
    }

    /// Every attempt of `call` for the outcome, and a usage record for each one that was sent.
    func records<Response>(_ call: CallOutcome<Response>) -> (attempts: [LLMAttempt], usage: [UsageRecord]) {
        let fallback = (call.answeredBy ?? 0) > 0
        var attempts: [LLMAttempt] = []
        var usage: [UsageRecord] = []
        for (index, a) in call.attempts.enumerated() {
            let answered = call.response != nil && index == call.attempts.count - 1
            attempts.append(
                LLMAttempt(
                    model: a.model, provider: a.provider, outcome: answered ? "ok" : a.sent ? "failed" : "skipped",
                    errorType: a.error?.errorType,
                    errorMessage: a.error.map { Self.trim($0.errorMessage, to: Self.maxAttemptMessageBytes) },
                    latencyMs: a.latency.milliseconds, tokens: a.usage))
            guard a.sent else { continue }
            var record = UsageRecord(
                context: context, step: step, invocationID: invocationID, attempt: index, timestamp: a.startedAtMs,
                backend: a.provider.backend, modality: modality,
                latency: UsageRecord.Latency(
                    totalMs: a.latency.milliseconds, backendMs: a.latency.milliseconds,
                    ttftMs: a.timeToFirstToken?.milliseconds),
                status: answered ? (fallback ? .fallback : .succeeded) : .failed)
            record.provider = a.provider
            record.model = a.model
            record.providerModel = a.providerModel
            record.tokens = a.usage
            record.errorType = a.error?.errorType
            record.errorCause = a.error.map { Self.trim($0.errorMessage, to: Self.maxAttemptMessageBytes) }
            // The function is billed for the backoff before an attempt as much as for the attempt.
            record.compute = UsageRecord.Compute(
                kind: "lambda", architecture: compute.architecture, memoryMB: compute.memoryMB,
                durationMs: (a.latency + a.waitBefore).milliseconds)
            usage.append(record)
        }
        return (attempts, usage)
    }

    func trimmed(_ error: StepError) -> StepError {
        StepError(errorType: error.errorType, errorMessage: Self.trim(error.errorMessage))
    }

    /// At most `limit` bytes, cut at a character boundary.
    static func trim(_ text: String, to limit: Int = maxMessageBytes) -> String {
        guard text.utf8.count > limit else { return text }
        var out = ""
        var bytes = 0
        for ch in text {
            bytes += ch.utf8.count
            if bytes > limit - 3 { break }
            out.append(ch)
        }
        return out + "…"
    }
}
