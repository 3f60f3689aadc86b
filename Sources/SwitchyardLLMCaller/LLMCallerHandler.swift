import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardProviders
import SwitchyardRuntime

/// The llm-caller Lambda function: validates the request, calls the router's candidates with
/// retries, fallbacks and cooldowns, and returns the answer with exact usage and all attempts.
public struct LLMCallerHandler: FunctionHandler {
    public typealias Event = LLMCallInput
    public typealias Output = LLMCallOutput

    public let configuration: LLMCallerConfiguration
    let caller: LLMCaller
    let credentials: CredentialResolver

    public init(configuration: LLMCallerConfiguration, transport: any HTTPTransport = CurlTransport()) throws(ConfigurationError) {
        self.configuration = configuration
        var codecs = CodecRegistry(bedrock: BedrockCodec(credentials: configuration.awsCredentials, defaultRegion: configuration.awsRegion))
        codecs.anthropic = AnthropicCodec()
        caller = LLMCaller(
            client: ProviderClient(transport: transport), codecs: codecs, retry: configuration.retry,
            cooldowns: CooldownTracker(failureThreshold: configuration.cooldownFailures, cooldown: configuration.cooldown))
        var secrets: SecretsManagerClient?
        if configuration.providerSecretID != nil {
            secrets = try SecretsManagerClient(environment: configuration.environment, transport: transport)
        }
        credentials = CredentialResolver(environment: configuration.environment, secretID: configuration.providerSecretID, secrets: secrets)
    }

    public func handle(_ event: LLMCallInput, context: InvocationContext) async throws -> LLMCallOutput {
        try await call(event, deadline: context.deadline.advanced(by: .zero - configuration.deadlineMargin))
    }

    /// The whole call with an explicit deadline (for tests, benchmarks and the CLI).
    public func call(_ event: LLMCallInput, deadline: ContinuousClock.Instant) async throws(LLMCallFailure) -> LLMCallOutput {
        let start = ContinuousClock.now
        let returnFailures = event.onFailure == "return"
        let request: ChatRequest
        let candidates: [CallCandidate]
        do {
            request = try RequestValidation.chatRequest(from: event)
            candidates = try await resolve(event, deadline: deadline)
        } catch {
            if returnFailures {
                return failureOutput(event, error: error, attempts: [], latency: LLMCaller.milliseconds(ContinuousClock.now - start))
            }
            throw LLMCallFailure(error: error, attempts: [])
        }
        var caller = self.caller
        if let attempts = event.maxAttemptsPerModel {
            var retry = caller.retry
            retry.maxAttemptsPerModel = max(1, min(attempts, 10))
            caller = LLMCaller(client: caller.client, codecs: caller.codecs, retry: retry, cooldowns: caller.cooldowns)
        }
        let outcome = await caller.call(request, candidates: candidates, deadline: deadline)
        let latency = LLMCaller.milliseconds(ContinuousClock.now - start)
        if let response = outcome.response, let answeredBy = outcome.answeredBy {
            return LLMCallOutput(
                requestId: event.requestId, tenantId: event.tenantId, outcome: "succeeded",
                provider: answeredBy.target.provider.rawValue, model: answeredBy.target.model, providerModel: response.model,
                text: response.text, finishReason: response.finishReason.rawValue, usage: response.usage, latencyMs: latency,
                ttftMs: response.timeToFirstToken.map(LLMCaller.milliseconds),
                fallbackUsed: answeredBy != candidates.first, providerRequestId: response.providerRequestID,
                attempts: outcome.attempts, error: nil)
        }
        let error = outcome.error ?? .invalidRequest("no model candidates given")
        if returnFailures { return failureOutput(event, error: error, attempts: outcome.attempts, latency: latency) }
        throw LLMCallFailure(error: error, attempts: outcome.attempts)
    }

    func failureOutput(_ event: LLMCallInput, error: LLMError, attempts: [AttemptRecord], latency: Double) -> LLMCallOutput {
        LLMCallOutput(
            requestId: event.requestId, tenantId: event.tenantId, outcome: "failed", provider: nil, model: nil, providerModel: nil,
            text: nil, finishReason: nil, usage: nil, latencyMs: latency, ttftMs: nil, fallbackUsed: false, providerRequestId: nil,
            attempts: attempts, error: OutputError(errorType: error.errorType, errorMessage: error.errorMessage))
    }

    /// Candidates with endpoints and keys filled in.
    func resolve(_ event: LLMCallInput, deadline: ContinuousClock.Instant) async throws(LLMError) -> [CallCandidate] {
        guard !event.candidates.isEmpty else { throw .invalidRequest("candidates: at least one model is required") }
        var out: [CallCandidate] = []
        for (i, c) in event.candidates.enumerated() {
            guard let kind = ProviderKind(rawValue: c.provider) else {
                throw .invalidRequest(
                    "candidates[\(i)].provider: \"\(c.provider.prefix(40))\" is not one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            guard !c.model.isEmpty else { throw .invalidRequest("candidates[\(i)].model: must not be empty") }
            let region = c.region ?? configuration.awsRegion
            let base = c.baseURL ?? configuration.baseURLs[kind] ?? (kind == .bedrock ? BedrockCodec.baseURL(region: region) : nil)
            guard let base, base.hasPrefix("http://") || base.hasPrefix("https://") else {
                throw .invalidRequest("candidates[\(i)].baseURL: required for \(kind.rawValue) (or set LLM_COMPATIBLE_BASE_URL)")
            }
            let key = try await credentials.apiKey(for: kind, keyName: c.apiKeyName, deadline: deadline)
            let timeout = c.timeoutMs ?? event.attemptTimeoutMs
            out.append(CallCandidate(
                target: ModelTarget(provider: kind, model: c.model, baseURL: base, apiKey: key, region: region),
                attemptTimeout: timeout.map { .milliseconds($0) } ?? configuration.attemptTimeout,
                contextWindow: c.contextWindow))
        }
        return out
    }
}

/// A failed call as a function error: the last attempt's type (what Step Functions matches),
/// and a message that ends with the attempts as JSON so a Catch can still bill them.
public struct LLMCallFailure: FunctionError {
    public let error: LLMError
    public let attempts: [AttemptRecord]

    public var errorType: String { error.errorType }
    public var errorMessage: String {
        guard !attempts.isEmpty, let json = try? JSONEncoder().encode(attempts) else { return error.errorMessage }
        return error.errorMessage + " attempts=" + String(decoding: json, as: UTF8.self)
    }
}
