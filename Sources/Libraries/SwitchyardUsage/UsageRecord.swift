import SwitchyardBilling

/// One step of one request, as logged for analytics and chargeback.
///
/// The key is (`requestID`, `step`): a retried Lambda or a replayed Step Functions task sends the
/// same key again, and the sink stores it once. A later delivery with different content (a step
/// that failed, was retried and then succeeded) replaces the earlier one.
///
/// JSON field names are camelCase with `Id` (`requestId`), as the state machine writes them.
public struct UsageRecord: Codable, Sendable, Hashable {
    public var requestID: String
    public var executionID: String?
    /// State or phase name, e.g. `route`, `llm`, `vision`, `request` (the whole request).
    public var step: String
    /// Epoch milliseconds when the step started; selects the rates and the rollup minute.
    public var timestamp: Int64
    public var tenant: String
    public var user: String?
    public var tier: String?
    /// Short route decision summary (rule and strategy), not the full decision document.
    public var route: String?
    public var provider: String?
    public var model: String?
    /// `lambda`, `sagemaker`, `fargate`, `external`, or `none`.
    public var backend: String
    /// `text`, `image`, `multimodal`, or `none`.
    public var modality: String
    public var tokens: Tokens?
    public var images: Images?
    public var latency: Latency
    public var attempts: Int64
    /// `succeeded`, `failed`, `fallback` (served by a fallback model), or `running`.
    public var status: String
    public var errorType: String?
    public var errorCause: String?
    public var compute: Compute?
    public var orchestration: Orchestration?
    /// Filled in by the usage logger from the rates table; any value sent in is replaced.
    public var cost: Cost?

    public init(
        requestID: String, executionID: String? = nil, step: String, timestamp: Int64, tenant: String,
        user: String? = nil,
        tier: String? = nil, route: String? = nil, provider: String? = nil, model: String? = nil, backend: String,
        modality: String, tokens: Tokens? = nil, images: Images? = nil, latency: Latency, attempts: Int64 = 1,
        status: String, errorType: String? = nil, errorCause: String? = nil, compute: Compute? = nil,
        orchestration: Orchestration? = nil, cost: Cost? = nil
    ) {
        self.requestID = requestID
        self.executionID = executionID
        self.step = step
        self.timestamp = timestamp
        self.tenant = tenant
        self.user = user
        self.tier = tier
        self.route = route
        self.provider = provider
        self.model = model
        self.backend = backend
        self.modality = modality
        self.tokens = tokens
        self.images = images
        self.latency = latency
        self.attempts = attempts
        self.status = status
        self.errorType = errorType
        self.errorCause = errorCause
        self.compute = compute
        self.orchestration = orchestration
        self.cost = cost
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case executionID = "executionId"
        case step, timestamp, tenant, user, tier, route, provider,
            model, backend, modality, tokens, images, latency, attempts, status, errorType, errorCause, compute,
            orchestration, cost
    }

    /// Token counts in OpenAI's convention: `input` includes `cached`, `output` includes `reasoning`.
    public struct Tokens: Codable, Sendable, Hashable {
        public var input: Int64
        public var output: Int64
        public var cached: Int64
        public var reasoning: Int64

        public init(input: Int64, output: Int64, cached: Int64 = 0, reasoning: Int64 = 0) {
            self.input = input
            self.output = output
            self.cached = cached
            self.reasoning = reasoning
        }

        enum CodingKeys: String, CodingKey { case input, output, cached, reasoning }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard let input = try c.decodeIfPresent(Int64.self, forKey: .input) else {
                throw MissingTokenCount(field: "input")
            }
            guard let output = try c.decodeIfPresent(Int64.self, forKey: .output) else {
                throw MissingTokenCount(field: "output")
            }
            self.input = input
            self.output = output
            cached = try c.decodeIfPresent(Int64.self, forKey: .cached) ?? 0
            reasoning = try c.decodeIfPresent(Int64.self, forKey: .reasoning) ?? 0
        }
    }

    /// Thrown while decoding `tokens` without `input` or `output`, so that the logger reports
    /// `Usage.MissingTokens` rather than a generic decoding error.
    public struct MissingTokenCount: Error, Sendable {
        public var field: String
    }

    public struct Images: Codable, Sendable, Hashable {
        public var count: Int64
        /// Total pixels over all images (width × height summed).
        public var pixels: Int64

        public init(count: Int64, pixels: Int64) {
            self.count = count
            self.pixels = pixels
        }
    }

    /// Latencies in milliseconds.
    public struct Latency: Codable, Sendable, Hashable {
        public var totalMs: Int64
        public var backendMs: Int64?
        /// Time to first token, for streamed LLM calls.
        public var ttftMs: Int64?

        public init(totalMs: Int64, backendMs: Int64? = nil, ttftMs: Int64? = nil) {
            self.totalMs = totalMs
            self.backendMs = backendMs
            self.ttftMs = ttftMs
        }
    }

    /// The compute the step ran on. `kind`: `lambda` (architecture, memoryMB, durationMs),
    /// `fargate` (architecture, milliVCPU, memoryMB, durationMs), `endpoint` (instanceType, durationMs).
    public struct Compute: Codable, Sendable, Hashable {
        public var kind: String
        public var architecture: String?
        public var memoryMB: Int64?
        public var milliVCPU: Int64?
        public var instanceType: String?
        public var durationMs: Int64

        public init(
            kind: String, architecture: String? = nil, memoryMB: Int64? = nil, milliVCPU: Int64? = nil,
            instanceType: String? = nil, durationMs: Int64
        ) {
            self.kind = kind
            self.architecture = architecture
            self.memoryMB = memoryMB
            self.milliVCPU = milliVCPU
            self.instanceType = instanceType
            self.durationMs = durationMs
        }
    }

    /// Step Functions Express usage attributed to this step.
    public struct Orchestration: Codable, Sendable, Hashable {
        public var memoryMB: Int64
        public var durationMs: Int64
        public var requests: Int64

        public init(memoryMB: Int64 = 64, durationMs: Int64, requests: Int64 = 1) {
            self.memoryMB = memoryMB
            self.durationMs = durationMs
            self.requests = requests
        }
    }

    /// Cost in integer pico-USD (10⁻¹² USD; see `PicoUSD`), and what could not be priced.
    public struct Cost: Codable, Sendable, Hashable {
        public var modelPicoUSD: Int64
        public var computePicoUSD: Int64
        public var orchestrationPicoUSD: Int64
        public var totalPicoUSD: Int64
        /// Empty when fully priced; otherwise the parts without a rate (`model`, `compute`, `orchestration`).
        public var unpriced: [String]
        public var rateVersion: String

        public init(_ breakdown: CostBreakdown) {
            modelPicoUSD = breakdown.model.rawValue
            computePicoUSD = breakdown.compute.rawValue
            orchestrationPicoUSD = breakdown.orchestration.rawValue
            totalPicoUSD = breakdown.total.rawValue
            unpriced = breakdown.unpriced.names
            rateVersion = breakdown.rateVersion
        }
    }
}
