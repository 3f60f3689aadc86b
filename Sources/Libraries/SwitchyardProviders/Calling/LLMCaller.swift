import SwitchyardContract
import SwitchyardCore

/// One model the plan allows, in preference order, resolved to where it lives.
public struct CallCandidate: Sendable, Equatable {
    /// The catalog id (what usage records and answers name).
    public var model: ModelID
    public var target: ModelTarget
    /// Longest a single attempt at this model may take (within the overall deadline).
    public var attemptTimeout: Duration?
    /// The model's context window in tokens, when known: prompts that cannot fit are refused
    /// before any paid call.
    public var contextWindow: Int?
    /// Output tokens the context-window check reserves beside the prompt.
    public var reservedOutputTokens: Int
    /// Set when the candidate cannot be called at all (no key, content it cannot take): it is
    /// recorded as skipped, in order, and the next one is tried.
    public var unavailable: LLMError?

    public init(
        model: ModelID, target: ModelTarget, attemptTimeout: Duration? = nil, contextWindow: Int? = nil,
        reservedOutputTokens: Int = 0, unavailable: LLMError? = nil
    ) {
        self.model = model
        self.target = target
        self.attemptTimeout = attemptTimeout
        self.contextWindow = contextWindow
        self.reservedOutputTokens = reservedOutputTokens
        self.unavailable = unavailable
    }
}

/// One attempt (or skipped candidate) as billing and analytics see it.
public struct AttemptRecord: Sendable, Equatable {
    /// Index of the candidate in the plan.
    public var candidate: Int
    public var model: ModelID
    public var provider: ProviderID
    /// The model as sent to the provider, or as the provider reported it when it answered.
    public var providerModel: String
    /// nil for the answering attempt.
    public var error: LLMError?
    /// Whether a request went out (false for skipped candidates).
    public var sent: Bool
    public var httpStatus: Int?
    /// Tokens this attempt likely cost; `nil` when nothing was charged. Bill each attempt's
    /// usage once; the answer's usage is the answering attempt's, not a sum.
    public var usage: UsageRecord.Tokens?
    public var latency: Duration
    public var timeToFirstToken: Duration?
    /// Backoff spent waiting before this attempt (the function is billed for it too).
    public var waitBefore: Duration
    /// Epoch milliseconds when the attempt started.
    public var startedAtMs: Int64

    public init(
        candidate: Int, model: ModelID, provider: ProviderID, providerModel: String, error: LLMError?, sent: Bool,
        httpStatus: Int? = nil, usage: UsageRecord.Tokens? = nil, latency: Duration = .zero,
        timeToFirstToken: Duration? = nil, waitBefore: Duration = .zero, startedAtMs: Int64
    ) {
        self.candidate = candidate
        self.model = model
        self.provider = provider
        self.providerModel = providerModel
        self.error = error
        self.sent = sent
        self.httpStatus = httpStatus
        self.usage = usage
        self.latency = latency
        self.timeToFirstToken = timeToFirstToken
        self.waitBefore = waitBefore
        self.startedAtMs = startedAtMs
    }
}

/// The result of a call with retries and fallbacks: the answer or the last error, and every attempt.
public struct CallOutcome<Response: Sendable>: Sendable {
    public var response: Response?
    public var error: LLMError?
    /// Index of the candidate that answered.
    public var answeredBy: Int?
    public var attempts: [AttemptRecord]

    public init(response: Response? = nil, error: LLMError? = nil, answeredBy: Int? = nil, attempts: [AttemptRecord]) {
        self.response = response
        self.error = error
        self.answeredBy = answeredBy
        self.attempts = attempts
    }
}

/// Calls the plan's candidates in order, retrying and falling back as `RetryPolicy`,
/// `CooldownTracker` and each error's kind allow, and never past the deadline. Chat and
/// embeddings share the one loop (`run`).
public struct LLMCaller: Sendable {
    public let client: ProviderClient
    public let codecs: CodecRegistry
    public let retry: RetryPolicy
    public let cooldowns: CooldownTracker

    public init(
        client: ProviderClient, codecs: CodecRegistry, retry: RetryPolicy = RetryPolicy(),
        cooldowns: CooldownTracker = CooldownTracker()
    ) {
        self.client = client
        self.codecs = codecs
        self.retry = retry
        self.cooldowns = cooldowns
    }

    /// Calls `candidates` in order until one answers.
    /// - Parameter onText: receives answer text as it streams in. Once text has gone out, a
    ///   failure is final (no retry or fallback would splice two answers together): the outcome
    ///   carries the error (`Provider.Truncated` for a cut stream) and the attempt's partial usage.
    public func call(
        _ request: ChatRequest, candidates: [CallCandidate], deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)? = nil
    ) async -> CallOutcome<ChatResponse> {
        let promptEstimate = TokenEstimator.promptTokens(request)
        return await run(
            candidates, deadline: deadline,
            fits: { candidate in
                guard let window = candidate.contextWindow else { return nil }
                let (needed, overflow) = promptEstimate.addingReportingOverflow(Int64(candidate.reservedOutputTokens))
                guard overflow || needed > Int64(window) else { return nil }
                return .contextWindowExceeded(
                    "the prompt (about \(promptEstimate) tokens) plus \(candidate.reservedOutputTokens) output "
                        + "tokens exceeds \(candidate.model.rawValue)'s \(window)-token context window")
            },
            reportedModel: \.model
        ) { candidate, deadline in
            guard let codec = codecs.codec(for: candidate.target.provider) else {
                return AttemptResult(
                    error: .invalidRequest("\(candidate.target.provider.rawValue) is not an LLM provider"), sent: false,
                    latency: .zero)
            }
            return await client.attempt(
                request, target: candidate.target, codec: codec, deadline: deadline, onText: onText)
        }
    }

    /// The candidate loop: skips candidates that are unavailable, do not fit or cool down;
    /// retries an attempt as the policy allows; falls back while errors allow; stops for good
    /// once an attempt emitted output to a streaming caller.
    func run<Response: Sendable>(
        _ candidates: [CallCandidate], deadline: ContinuousClock.Instant, fits: (CallCandidate) -> LLMError?,
        reportedModel: (Response) -> String,
        attempt: (CallCandidate, ContinuousClock.Instant) async -> AttemptResult<Response>
    ) async -> CallOutcome<Response> {
        var attempts: [AttemptRecord] = []
        var lastError: LLMError?
        var rng = SystemRandomNumberGenerator()
        // When every endpoint is cooling down, trying them beats failing without a call.
        let allCooling = candidates.allSatisfy {
            $0.unavailable != nil || cooldowns.isCoolingDown(endpoint: $0.target.endpointKey, model: $0.target.model)
        }
        for (index, candidate) in candidates.enumerated() {
            let target = candidate.target
            func skip(_ error: LLMError) {
                attempts.append(
                    AttemptRecord(
                        candidate: index, model: candidate.model, provider: target.provider,
                        providerModel: target.model,
                        error: error, sent: false, startedAtMs: WallClock.nowMilliseconds()))
                lastError = error
            }
            if let unavailable = candidate.unavailable ?? fits(candidate) {
                skip(unavailable)
                continue
            }
            if !allCooling, cooldowns.isCoolingDown(endpoint: target.endpointKey, model: target.model) {
                skip(.coolingDown(provider: target.provider))
                continue
            }
            var failed = 0
            var wait = Duration.zero
            while true {
                let now = ContinuousClock.now
                guard now.advanced(by: retry.minimumAttemptTime) <= deadline else {
                    return CallOutcome(
                        error: lastError ?? .timeout(provider: target.provider, milliseconds: 0), attempts: attempts)
                }
                let attemptDeadline = candidate.attemptTimeout.map { min(deadline, now.advanced(by: $0)) } ?? deadline
                let startedAt = WallClock.nowMilliseconds()
                let result = await attempt(candidate, attemptDeadline)
                attempts.append(
                    AttemptRecord(
                        candidate: index, model: candidate.model, provider: target.provider,
                        providerModel: result.response.map(reportedModel) ?? target.model, error: result.error,
                        sent: result.sent, httpStatus: result.httpStatus, usage: result.usage, latency: result.latency,
                        timeToFirstToken: result.timeToFirstToken, waitBefore: wait, startedAtMs: startedAt))
                if let response = result.response {
                    cooldowns.recordSuccess(endpoint: target.endpointKey, model: target.model)
                    return CallOutcome(response: response, answeredBy: index, attempts: attempts)
                }
                let error = result.error ?? .badResponse(provider: target.provider, detail: "no response")
                lastError = error
                if result.emittedOutput { return CallOutcome(error: error, attempts: attempts) }
                guard result.sent else { break }  // could not be encoded for this provider: next candidate
                // The caller went away (a streaming client disconnected): no retry or fallback reaches
                // anyone, and the provider did nothing wrong.
                if Task.isCancelled { return CallOutcome(error: error, attempts: attempts) }
                cooldowns.recordFailure(endpoint: target.endpointKey, model: target.model, error: error)
                guard error.allowsFallback else { return CallOutcome(error: error, attempts: attempts) }
                failed += 1
                guard let delay = retry.delay(afterFailedAttempts: failed, error: error, using: &rng),
                    retry.fits(delay, before: deadline)
                else { break }
                try? await Task.sleep(for: delay)
                wait = delay
            }
        }
        return CallOutcome(error: lastError ?? .invalidRequest("no model candidates given"), attempts: attempts)
    }
}

/// The codec for each LLM provider.
public struct CodecRegistry: Sendable {
    public var openAI: OpenAICodec
    public var anthropic: AnthropicCodec
    public var compatible: OpenAICodec
    public var bedrock: BedrockCodec

    public init(bedrock: BedrockCodec = BedrockCodec(credentials: nil)) {
        self.openAI = OpenAICodec()
        self.anthropic = AnthropicCodec()
        self.compatible = OpenAICodec(compatible: true)
        self.bedrock = bedrock
    }

    /// The codec for `provider`, or nil for providers that serve no chat models (vision homes).
    public func codec(for provider: ProviderID) -> (any ProviderCodec)? {
        switch provider {
        case .openAI: openAI
        case .anthropic: anthropic
        case .openAICompatible: compatible
        case .bedrock: bedrock
        case .sagemaker, .lambda, .container: nil
        }
    }
}
