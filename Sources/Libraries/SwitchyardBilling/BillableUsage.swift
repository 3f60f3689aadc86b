/// What one step consumed, in billing units. Built from a usage record; the input of `CostCalculator`.
public struct BillableUsage: Sendable, Hashable {
    /// Epoch milliseconds of the step; selects the rates in force.
    public var timestamp: Int64
    /// Model id as in the rates table; nil for steps that call no model (routing, logging).
    public var model: String?
    public var tokens: TokenCounts
    public var images: Int64
    public var compute: ComputeUsage?
    public var orchestration: OrchestrationUsage?

    public init(
        timestamp: Int64, model: String? = nil, tokens: TokenCounts = TokenCounts(), images: Int64 = 0,
        compute: ComputeUsage? = nil, orchestration: OrchestrationUsage? = nil
    ) {
        self.timestamp = timestamp
        self.model = model
        self.tokens = tokens
        self.images = images
        self.compute = compute
        self.orchestration = orchestration
    }
}

/// Token counts in OpenAI's convention, which the LLM caller normalises every provider to:
/// `input` includes `cachedInput` (cache reads), and `output` includes `reasoning`. Reasoning
/// tokens are therefore billed once, as output; cached tokens at the cached-input price.
public struct TokenCounts: Sendable, Hashable {
    public var input: Int64
    public var cachedInput: Int64
    /// Prompt tokens written to the provider's cache (Anthropic `cache_creation_input_tokens`),
    /// part of `input` and billed at the cache-write price.
    public var cacheWrite: Int64
    public var output: Int64
    public var reasoning: Int64

    public init(
        input: Int64 = 0, cachedInput: Int64 = 0, cacheWrite: Int64 = 0, output: Int64 = 0, reasoning: Int64 = 0
    ) {
        self.cacheWrite = cacheWrite
        self.input = input
        self.cachedInput = cachedInput
        self.output = output
        self.reasoning = reasoning
    }

    public var isZero: Bool { input == 0 && output == 0 && cachedInput == 0 && cacheWrite == 0 && reasoning == 0 }
}

/// The compute a step ran on, with the quantities its provider bills.
public enum ComputeUsage: Sendable, Hashable {
    /// A Lambda invocation: memory in MB, billed duration in ms (Lambda rounds up to 1 ms).
    case lambda(architecture: Architecture, memoryMB: Int64, durationMilliseconds: Int64, requests: Int64 = 1)
    /// This step's share of a Fargate task: vCPU in thousandths (256 = 0.25 vCPU), memory in MB,
    /// busy time in ms. Per-second billing with Fargate's one-minute minimum applies to whole
    /// tasks, not to a request's share, so it is not applied here.
    case fargate(architecture: Architecture, milliVCPU: Int64, memoryMB: Int64, durationMilliseconds: Int64)
    /// Time spent on a provisioned endpoint instance (the amortised view: busy ms × hourly price).
    case endpoint(instanceType: String, durationMilliseconds: Int64)
}

/// A Step Functions Express execution (or its share): billed memory and duration, request count.
public struct OrchestrationUsage: Sendable, Hashable {
    public var memoryMB: Int64
    public var durationMilliseconds: Int64
    public var requests: Int64

    public init(memoryMB: Int64 = 64, durationMilliseconds: Int64, requests: Int64 = 1) {
        self.memoryMB = memoryMB
        self.durationMilliseconds = durationMilliseconds
        self.requests = requests
    }
}
