import SwitchyardCore

/// One model the router allows, in preference order, with its limits.
public struct CallCandidate: Sendable, Equatable {
    public var target: ModelTarget
    /// Longest a single attempt at this model may take (within the overall deadline).
    public var attemptTimeout: Duration?
    /// The model's context window in tokens, when known: prompts that cannot fit are refused
    /// before any paid call.
    public var contextWindow: Int?

    public init(target: ModelTarget, attemptTimeout: Duration? = nil, contextWindow: Int? = nil) {
        self.target = target
        self.attemptTimeout = attemptTimeout
        self.contextWindow = contextWindow
    }
}

/// One attempt as billing and analytics see it.
public struct AttemptRecord: Sendable, Equatable, Codable {
    public var provider: String
    public var model: String
    /// `ok`, or the `errorType` of the failure (`Provider.CoolingDown` and
    /// `LLM.ContextWindowExceeded` for candidates skipped without a call).
    public var outcome: String
    public var errorMessage: String?
    public var httpStatus: Int?
    public var latencyMs: Double
    public var ttftMs: Double?
    /// Tokens this attempt likely cost; `nil` when nothing was charged. Bill each attempt's
    /// usage once; the call's top-level usage is the successful attempt's, not a sum.
    public var usage: TokenUsage?
    /// Whether a request was sent (false for skipped candidates).
    public var sent: Bool
    public var startedAtMs: Int64
}

extension AttemptRecord {
    /// A candidate passed over without a request (cooling down, prompt too long, no key).
    public static func notSent(provider: String, model: String, error: LLMError) -> AttemptRecord {
        AttemptRecord(
            provider: provider, model: model, outcome: error.errorType, errorMessage: error.errorMessage,
            httpStatus: nil,
            latencyMs: 0, ttftMs: nil, usage: nil, sent: false, startedAtMs: WallClock.nowMilliseconds())
    }
}

/// The result of a call with retries and fallbacks: the answer or the last error, and every attempt.
public struct CallOutcome: Sendable {
    public var response: ChatResponse?
    public var error: LLMError?
    /// The candidate that answered.
    public var answeredBy: CallCandidate?
    public var attempts: [AttemptRecord]
}

/// Calls the router's candidates in order, retrying and falling back as `RetryPolicy`,
/// `CooldownTracker` and each error's kind allow, and never past the deadline.
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

    public func call(_ request: ChatRequest, candidates: [CallCandidate], deadline: ContinuousClock.Instant) async
        -> CallOutcome
    {
        var attempts: [AttemptRecord] = []
        var lastError: LLMError?
        var rng = SystemRandomNumberGenerator()
        // When every endpoint is cooling down, trying them beats failing without a call.
        let allCooling = candidates.allSatisfy {
            cooldowns.isCoolingDown(endpoint: $0.target.endpointKey, model: $0.target.model)
        }
        let promptEstimate = TokenEstimator.promptTokens(request)

        for candidate in candidates {
            let target = candidate.target
            let codec = codecs.codec(for: target.provider)
            if let window = candidate.contextWindow, promptEstimate + (request.maxTokens ?? 0) > window {
                let error = LLMError.contextWindowExceeded(
                    "the prompt (about \(promptEstimate) tokens) plus max_tokens (\(request.maxTokens ?? 0)) exceeds \(target.model)'s \(window)-token context window"
                )
                attempts.append(Self.skipped(target, codec: codec, error: error))
                lastError = error
                continue
            }
            if !allCooling, cooldowns.isCoolingDown(endpoint: target.endpointKey, model: target.model) {
                let error = LLMError.upstream(
                    provider: codec.name, status: 0,
                    message: "skipped: cooling down after repeated failures or a rate limit")
                var record = Self.skipped(target, codec: codec, error: error)
                record.outcome = "Provider.CoolingDown"
                attempts.append(record)
                lastError = lastError ?? error
                continue
            }

            var failed = 0
            while true {
                let now = ContinuousClock.now
                guard now.advanced(by: retry.minimumAttemptTime) <= deadline else {
                    return CallOutcome(
                        error: lastError ?? .timeout(provider: codec.name, milliseconds: 0), attempts: attempts)
                }
                let attemptDeadline = candidate.attemptTimeout.map { min(deadline, now.advanced(by: $0)) } ?? deadline
                let startedAt = WallClock.nowMilliseconds()
                let result = await client.attempt(request, target: target, codec: codec, deadline: attemptDeadline)
                attempts.append(Self.record(result, target: target, codec: codec, startedAt: startedAt))
                if let response = result.response {
                    cooldowns.recordSuccess(endpoint: target.endpointKey, model: target.model)
                    return CallOutcome(response: response, answeredBy: candidate, attempts: attempts)
                }
                let error = result.error ?? .badResponse(provider: codec.name, detail: "no response")
                cooldowns.recordFailure(endpoint: target.endpointKey, model: target.model, error: error)
                lastError = error
                guard error.allowsFallback else { return CallOutcome(error: error, attempts: attempts) }
                failed += 1
                guard let delay = retry.delay(afterFailedAttempts: failed, error: error, using: &rng),
                    retry.fits(delay, before: deadline)
                else { break }
                try? await Task.sleep(for: delay)
            }
        }
        return CallOutcome(error: lastError ?? .invalidRequest("no model candidates given"), attempts: attempts)
    }

    static func record(_ result: AttemptResult, target: ModelTarget, codec: any ProviderCodec, startedAt: Int64)
        -> AttemptRecord
    {
        AttemptRecord(
            provider: target.provider.rawValue, model: target.model, outcome: result.error?.errorType ?? "ok",
            errorMessage: result.error?.errorMessage, httpStatus: result.httpStatus,
            latencyMs: milliseconds(result.latency),
            ttftMs: result.timeToFirstToken.map(milliseconds), usage: result.usage, sent: true, startedAtMs: startedAt)
    }

    static func skipped(_ target: ModelTarget, codec: any ProviderCodec, error: LLMError) -> AttemptRecord {
        .notSent(provider: target.provider.rawValue, model: target.model, error: error)
    }

    public static func milliseconds(_ d: Duration) -> Double {
        let (s, a) = d.components
        return (Double(s) * 1000 + Double(a) / 1e15).rounded(toPlaces: 3)
    }
}

/// The codec for each provider kind.
public struct CodecRegistry: Sendable {
    public var openai: OpenAICodec
    public var anthropic: AnthropicCodec
    public var compatible: OpenAICodec
    public var bedrock: BedrockCodec

    public init(bedrock: BedrockCodec = BedrockCodec(credentials: nil)) {
        self.openai = OpenAICodec()
        self.anthropic = AnthropicCodec()
        self.compatible = OpenAICodec(compatible: true)
        self.bedrock = bedrock
    }

    public func codec(for kind: ProviderKind) -> any ProviderCodec {
        switch kind {
        case .openai: openai
        case .anthropic: anthropic
        case .openaiCompatible: compatible
        case .bedrock: bedrock
        }
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        var scale = 1.0
        for _ in 0..<places { scale *= 10 }
        return (self * scale).rounded() / scale
    }
}
