import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardImageFetch
import SwitchyardProviders
import SwitchyardRetrieval
import SwitchyardRuntime

/// The llm-caller Lambda function: `LLMStepInput` in, `LLMOutcome` out.
///
/// Builds the prompt from the request (or batch item, grounded in detections when the plan asks),
/// resolves the plan's catalog ids from its own catalog, calls them in order with retries,
/// fallbacks and cooldowns, and returns a structured outcome — succeeded, degraded (a fallback
/// answered) or failed — with every attempt and one usage record per attempt sent. A failure is
/// output, not a Lambda error, so the state machine bills the charged attempts of a failed call.
public struct LLMCallerHandler: FunctionHandler {
    public typealias Event = LLMStepEvent
    public typealias Output = LLMOutcome

    public let configuration: LLMCallerConfiguration
    let caller: LLMCaller
    let embeddings: EmbeddingClient
    let resolver: ModelResolver
    let imageFetcher: ImageFetcher
    /// Where retrieval plans search; nil when no chunk store is configured (such plans degrade).
    let retrievalIndex: (any VectorIndex)?

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
        embeddings = EmbeddingClient(transport: transport, bedrockCredentials: configuration.awsCredentials)
        var secrets: SecretsManagerClient?
        if configuration.providerSecretID != nil {
            secrets = try SecretsManagerClient(environment: configuration.environment, transport: transport)
        }
        // Without AWS credentials `s3://` images fail with `Image.FetchFailed`, as in vision.
        imageFetcher = ImageFetcher(
            transport: transport, s3: try? S3Client.fromEnvironment(configuration.environment, transport: transport),
            maxBytes: configuration.imageAccess.deployment.maxInlineBytes, timeout: configuration.imageFetchTimeout)
        retrievalIndex = try Self.makeRetrievalIndex(configuration.retrieval)
        resolver = ModelResolver(
            configuration: configuration,
            credentials: CredentialResolver(
                environment: configuration.environment, secretID: configuration.providerSecretID, secrets: secrets))
    }

    /// The Lambda entry point. `context.deadline` already leaves the runtime's reporting margin.
    public func handle(_ event: LLMStepEvent, context: InvocationContext) async -> LLMOutcome {
        switch event {
        case .valid(let input):
            return await call(input, invocationID: context.requestID, deadline: context.deadline)
        case .invalid(let usage, let itemID, let detail):
            return LLMOutcome(
                requestID: usage.requestID, itemID: itemID, status: .failed, answer: nil, attempts: [], usage: [],
                error: StepError(
                    errorType: LLMError.invalidRequest("").errorType,
                    errorMessage: OutcomeBuilder.trim("the input is not a valid LLM step: \(detail)")),
                latencyMs: 0)
        }
    }

    /// The whole call with an explicit invocation id and deadline: for the Lambda handler, the
    /// streaming front door (in-process), tests, benchmarks and the CLI.
    /// - Parameter onText: receives answer text as it streams in (see `stream(_:invocationID:deadline:)`).
    public func call(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)? = nil
    ) async -> LLMOutcome {
        let started = ContinuousClock.now
        let hasImages = (input.request?.allImages.isEmpty == false) || (input.item?.images?.isEmpty == false)
        let builder = OutcomeBuilder(
            input: input, invocationID: invocationID, compute: configuration.compute,
            modality: hasImages ? .multimodal : .text)
        guard Identifier.isValid(input.context.requestID), Identifier.isValid(input.context.tenantID),
            Identifier.isValid(invocationID)
        else {
            return builder.failed(
                StepError(
                    errorType: LLMError.invalidRequest("").errorType,
                    errorMessage: "context.requestId, context.tenantId and the invocation id must be 1...256 bytes "
                        + "without control characters"), started: started)
        }
        var request: ChatRequest
        let candidates: [CallCandidate]
        do {
            let images = ImagePreparation(
                policy: configuration.imageAccess.policy(tenant: input.context.tenantID), fetcher: imageFetcher,
                deadline: deadline)
            request = try await PromptBuilder.chatRequest(input, images: images)
            if onText != nil { request.stream = true }
        } catch {
            return builder.failed(error, started: started)
        }
        // Retrieval runs before the LLM for a single request (not a batch item); its failure
        // degrades the answer, which comes without sources.
        var retrieval: RetrievalResult?
        if let plan = input.retrieval, input.item == nil {
            let result = await retrieve(
                plan, input: input, request: request, invocationID: invocationID, deadline: deadline)
            if let sources = result.sources { Self.insertSources(sources, into: &request) }
            retrieval = result
        }
        var outcome: LLMOutcome
        do {
            candidates = try await resolver.resolve(input.plan, request: request, deadline: deadline)
            outcome = builder.outcome(
                await caller.call(request, candidates: candidates, deadline: deadline, onText: onText),
                started: started)
        } catch {
            outcome = builder.failed(error, started: started)
        }
        if let retrieval {
            outcome.usage = retrieval.usage + outcome.usage
            outcome.retrieval = retrieval.report
            outcome.citations = retrieval.citations
            if retrieval.failed, outcome.status == .succeeded { outcome.status = .degraded }
        }
        return outcome
    }
}
