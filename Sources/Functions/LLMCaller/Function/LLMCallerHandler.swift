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

    public init(configuration: LLMCallerConfiguration, transport: any HTTPTransport = CurlTransport())
        throws(ConfigurationError)
    {
        self.configuration = configuration
        let codecs = CodecRegistry(
            bedrock: BedrockCodec(credentials: configuration.awsCredentials, defaultRegion: configuration.awsRegion))
        caller = LLMCaller(
            client: ProviderClient(transport: transport), codecs: codecs, retry: configuration.retry,
            cooldowns: CooldownTracker(
                failureThreshold: configuration.cooldownFailures, cooldown: configuration.cooldown))
        var secrets: SecretsManagerClient?
        if configuration.providerSecretID != nil {
            secrets = try SecretsManagerClient(environment: configuration.environment, transport: transport)
        }
        credentials = CredentialResolver(
            environment: configuration.environment, secretID: configuration.providerSecretID, secrets: secrets)
    }

    public func handle(_ event: LLMCallInput, context: InvocationContext) async throws -> LLMCallOutput {
        try await call(event, deadline: context.deadline.advanced(by: .zero - configuration.deadlineMargin))
    }

    /// The whole call with an explicit deadline (for tests, benchmarks and the CLI).
    public func call(_ event: LLMCallInput, deadline: ContinuousClock.Instant) async throws(LLMCallFailure)
        -> LLMCallOutput
    {
        let start = ContinuousClock.now
        let returnFailures = event.onFailure == "return"
        let request: ChatRequest
        let resolved: Resolved
        do {
            request = try RequestValidation.chatRequest(from: event)
            resolved = try await resolve(event, deadline: deadline)
        } catch {
            if returnFailures {
                return failureOutput(
                    event, error: error, attempts: [], latency: LLMCaller.milliseconds(ContinuousClock.now - start))
            }
            throw LLMCallFailure(error: error, attempts: [])
        }
        var caller = self.caller
        if let attempts = event.maxAttemptsPerModel {
            var retry = caller.retry
            retry.maxAttemptsPerModel = max(1, min(attempts, 10))
            caller = LLMCaller(client: caller.client, codecs: caller.codecs, retry: retry, cooldowns: caller.cooldowns)
        }
        var outcome = await caller.call(request, candidates: resolved.candidates, deadline: deadline)
        outcome.attempts = resolved.skipped + outcome.attempts
        let latency = LLMCaller.milliseconds(ContinuousClock.now - start)
        if let response = outcome.response, let answeredBy = outcome.answeredBy {
            return LLMCallOutput(
                requestId: event.requestId, tenantId: event.tenantId, outcome: "succeeded",
                provider: answeredBy.target.provider.rawValue, model: answeredBy.target.model,
                providerModel: response.model,
                text: response.text, finishReason: response.finishReason.rawValue, usage: response.usage,
                latencyMs: latency,
                ttftMs: response.timeToFirstToken.map(LLMCaller.milliseconds),
                fallbackUsed: !resolved.primaryUsable || answeredBy != resolved.candidates.first,
                providerRequestId: response.providerRequestID,
                attempts: outcome.attempts, error: nil)
        }
        let error = outcome.error ?? .invalidRequest("no model candidates given")
        if returnFailures { return failureOutput(event, error: error, attempts: outcome.attempts, latency: latency) }
        throw LLMCallFailure(error: error, attempts: outcome.attempts)
    }

    func failureOutput(_ event: LLMCallInput, error: LLMError, attempts: [AttemptRecord], latency: Double)
        -> LLMCallOutput
    {
        LLMCallOutput(
            requestId: event.requestId, tenantId: event.tenantId, outcome: "failed", provider: nil, model: nil,
            providerModel: nil,
            text: nil, finishReason: nil, usage: nil, latencyMs: latency, ttftMs: nil, fallbackUsed: false,
            providerRequestId: nil,
            attempts: attempts, error: OutputError(errorType: error.errorType, errorMessage: error.errorMessage))
    }

    /// The candidates that can be called, and records for those that cannot (no key).
    struct Resolved {
        var candidates: [CallCandidate]
        var skipped: [AttemptRecord]
        var primaryUsable: Bool
    }

    /// Candidates with endpoints and keys filled in. A candidate whose key cannot be found is
    /// skipped (and recorded) as long as another one is usable; a malformed candidate fails the call.
    func resolve(_ event: LLMCallInput, deadline: ContinuousClock.Instant) async throws(LLMError) -> Resolved {
        guard !event.candidates.isEmpty else { throw .invalidRequest("candidates: at least one model is required") }
        var out = Resolved(candidates: [], skipped: [], primaryUsable: false)
        var firstKeyError: LLMError?
        for (i, c) in event.candidates.enumerated() {
            guard let kind = ProviderKind(rawValue: c.provider) else {
                throw .invalidRequest(
                    "candidates[\(i)].provider: \"\(c.provider.prefix(40))\" is not one of \(ProviderKind.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            guard !c.model.isEmpty else { throw .invalidRequest("candidates[\(i)].model: must not be empty") }
            let region = c.region ?? configuration.awsRegion
            let base =
                c.baseURL ?? configuration.baseURLs[kind]
                ?? (kind == .bedrock ? BedrockCodec.baseURL(region: region) : nil)
            guard let base, base.hasPrefix("http://") || base.hasPrefix("https://") else {
                throw .invalidRequest(
                    "candidates[\(i)].baseURL: required for \(kind.rawValue) (or set LLM_COMPATIBLE_BASE_URL)")
            }
            let key: String?
            do {
                key = try await credentials.apiKey(for: kind, keyName: c.apiKeyName, deadline: deadline)
            } catch {
                firstKeyError = firstKeyError ?? error
                out.skipped.append(.notSent(provider: kind.rawValue, model: c.model, error: error))
                continue
            }
            if i == 0 { out.primaryUsable = true }
            let timeout = c.timeoutMs ?? event.attemptTimeoutMs
            out.candidates.append(
                CallCandidate(
                    target: ModelTarget(provider: kind, model: c.model, baseURL: base, apiKey: key, region: region),
                    attemptTimeout: timeout.map { .milliseconds($0) } ?? configuration.attemptTimeout,
                    contextWindow: c.contextWindow))
        }
        if out.candidates.isEmpty, let firstKeyError { throw firstKeyError }
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
        guard !attempts.isEmpty, let json = try? JSON.encode(attempts) else { return error.errorMessage }
        return error.errorMessage + " attempts=" + String(decoding: json, as: UTF8.self)
    }
}
