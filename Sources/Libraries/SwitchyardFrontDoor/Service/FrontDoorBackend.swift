import SwitchyardContract

/// What the front door runs a request with: the router and the LLM step in-process (the
/// single-process server and the streaming ingress), or the state machine (the local gateway and
/// the AWS ingress). The front door itself never names a function library.
public protocol FrontDoorBackend: Sendable {
    /// The catalog the models list and the embedding models come from.
    var catalog: Catalog { get }
    /// Version of the policy/catalog/rates bundle in force.
    var bundleVersion: String { get }

    /// The router's decision (a refusal is a `rejected` decision, never a throw).
    func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision

    /// The LLM step. `onText` receives answer text as it streams (streamed requests only).
    func callLLM(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)?
    ) async -> LLMOutcome

    /// The whole pipeline for one request as the state machine runs it: route, then the LLM, vision,
    /// embedding or batch path, usage enqueued on the durable path. A refusal is a `rejected` response.
    func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse

    /// The embedding step with the given models in order.
    func embed(
        _ texts: [String], candidates: [LLMCandidate], context: UsageContext, dimensions: Int?, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> EmbeddingResult

    /// A tenant's tier and monthly budget from the policy; nil for a tenant the policy lacks.
    func budget(ofTenant tenant: String) -> (tier: String, budget: PicoUSD)?

    /// List prices of a model, from the rates table.
    func price(of model: ModelID) -> ModelList.Price?

    /// What the records cost, priced from the rates table as the usage logger will price them.
    func cost(of records: [UsageRecord]) -> PicoUSD
}

/// The embedding step's result, as the front door needs it.
public struct EmbeddingResult: Sendable {
    public var status: StepStatus
    public var model: ModelID?
    public var vectors: [[Float]]?
    public var tokens: UsageRecord.Tokens?
    public var usage: [UsageRecord]
    public var error: StepError?

    public init(
        status: StepStatus, model: ModelID?, vectors: [[Float]]?, tokens: UsageRecord.Tokens?, usage: [UsageRecord],
        error: StepError?
    ) {
        self.status = status
        self.model = model
        self.vectors = vectors
        self.tokens = tokens
        self.usage = usage
        self.error = error
    }
}
