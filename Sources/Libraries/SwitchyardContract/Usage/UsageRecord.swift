/// One billed (or billable) step of one request, as every function reports it and as the usage
/// store keeps it for analytics, chargeback and the what-if view.
///
/// **Key.** (`requestID`, `step`, `invocationID`, `attempt`). `invocationID` is the id of the
/// Lambda invocation (or in-process call) that produced the record, so a step that Step Functions
/// retries writes new records instead of overwriting the charged attempts of the failed try, and a
/// re-delivery of the same output (a retried usage write) stores nothing twice. Identifiers carry
/// no control characters (`Identifier.isValid`), so no two keys can collide.
///
/// **Producers** fill in everything but `cost`: the usage logger prices the record from the rates
/// table of the same bundle and stores it; it decides nothing else.
public struct UsageRecord: Codable, Sendable, Hashable {
    public var requestID: String
    /// The step: `router`, `llm`, `vision`, `embedding`, `retrieval`, `orchestration`, or
    /// `batch/<item>/<llm|vision>` for a labelling job's items.
    public var step: String
    /// The invocation that produced the record (`Lambda-Runtime-Aws-Request-Id`, or `inproc-<id>`).
    public var invocationID: String
    /// Attempt number within the invocation (0 for single-shot steps).
    public var attempt: Int
    public var executionID: String?
    /// Epoch milliseconds when the step (attempt) started; selects the rates and the rollup minute.
    public var timestamp: Int64

    // MARK: Who and why (from the decision's `UsageContext`)
    public var tenant: String
    public var user: String?
    public var tier: String?
    /// Short route summary (`llm cheapest rule=legal-premium`), not the decision document.
    public var route: String?
    public var category: TaskCategory?
    public var difficulty: Difficulty?
    public var hints: RoutingHints?
    /// What the router estimated for the whole request, for the what-if view.
    public var estimatedCostPicoUSD: PicoUSD?
    /// Policy/catalog/rates bundle version in force for the request.
    public var bundleVersion: String?

    // MARK: What ran
    public var provider: ProviderID?
    /// Catalog id (what billing prices).
    public var model: ModelID?
    /// The model as the provider reported it.
    public var providerModel: String?
    public var backend: UsageBackend
    public var modality: Modality
    public var tokens: Tokens?
    public var images: Images?
    public var latency: Latency
    public var status: UsageStatus
    public var errorType: String?
    /// Short cause, never prompt text or secrets.
    public var errorCause: String?
    public var compute: Compute?
    public var orchestration: Orchestration?
    /// Filled in by the usage logger from the rates table; any value sent in is replaced.
    public var cost: Cost?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case invocationID = "invocationId"
        case executionID = "executionId"
        case step, attempt, timestamp, tenant, user, tier, route, category, difficulty, hints, estimatedCostPicoUSD
        case bundleVersion, provider, model, providerModel, backend, modality, tokens, images, latency, status
        case errorType, errorCause, compute, orchestration, cost
    }

    public init(
        requestID: String, step: String, invocationID: String, attempt: Int = 0, executionID: String? = nil,
        timestamp: Int64, tenant: String, user: String? = nil, tier: String? = nil, route: String? = nil,
        category: TaskCategory? = nil, difficulty: Difficulty? = nil, hints: RoutingHints? = nil,
        estimatedCostPicoUSD: PicoUSD? = nil, bundleVersion: String? = nil, provider: ProviderID? = nil,
        model: ModelID? = nil,
        providerModel: String? = nil, backend: UsageBackend, modality: Modality, tokens: Tokens? = nil,
        images: Images? = nil,
        latency: Latency, status: UsageStatus, errorType: String? = nil, errorCause: String? = nil,
        compute: Compute? = nil,
        orchestration: Orchestration? = nil, cost: Cost? = nil
    ) {
        self.requestID = requestID
        self.step = step
        self.invocationID = invocationID
        self.attempt = attempt
        self.executionID = executionID
        self.timestamp = timestamp
        self.tenant = tenant
        self.user = user
        self.tier = tier
        self.route = route
        self.category = category
        self.difficulty = difficulty
        self.hints = hints
        self.estimatedCostPicoUSD = estimatedCostPicoUSD
        self.bundleVersion = bundleVersion
        self.provider = provider
        self.model = model
        self.providerModel = providerModel
        self.backend = backend
        self.modality = modality
        self.tokens = tokens
        self.images = images
        self.latency = latency
        self.status = status
        self.errorType = errorType
        self.errorCause = errorCause
        self.compute = compute
        self.orchestration = orchestration
        self.cost = cost
    }

    /// A record for one step of the request `context` describes.
    public init(
        context: UsageContext, step: String, invocationID: String, attempt: Int = 0, timestamp: Int64,
        backend: UsageBackend, modality: Modality, latency: Latency, status: UsageStatus
    ) {
        self.init(
            requestID: context.requestID, step: step, invocationID: invocationID, attempt: attempt,
            executionID: context.executionID, timestamp: timestamp, tenant: context.tenantID, user: context.user,
            tier: context.tier, route: context.route, category: context.category, difficulty: context.difficulty,
            hints: context.hints, estimatedCostPicoUSD: context.estimatedCostPicoUSD,
            bundleVersion: context.bundleVersion,
            backend: backend, modality: modality, latency: latency, status: status)
    }

    /// Token counts in OpenAI's convention: `input` counts every prompt token the provider
    /// processed — fresh, read from its cache (`cached`) and written to its cache (`cacheWrite`) —
    /// and `output` includes `reasoning`. Fresh input is `input - cached - cacheWrite`.
    public struct Tokens: Codable, Sendable, Hashable {
        public var input: Int64
        public var output: Int64
        public var cached: Int64
        public var cacheWrite: Int64
        public var reasoning: Int64
        /// Some figure was not reported by the provider but estimated (and is marked so on the bill).
        public var estimated: Bool

        public init(
            input: Int64, output: Int64, cached: Int64 = 0, cacheWrite: Int64 = 0, reasoning: Int64 = 0,
            estimated: Bool = false
        ) {
            self.input = input
            self.output = output
            self.cached = cached
            self.cacheWrite = cacheWrite
            self.reasoning = reasoning
            self.estimated = estimated
        }

        enum CodingKeys: String, CodingKey { case input, output, cached, cacheWrite, reasoning, estimated }

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
            cacheWrite = try c.decodeIfPresent(Int64.self, forKey: .cacheWrite) ?? 0
            reasoning = try c.decodeIfPresent(Int64.self, forKey: .reasoning) ?? 0
            estimated = try c.decodeIfPresent(Bool.self, forKey: .estimated) ?? false
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

    /// Step Functions Express usage attributed to this record.
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

    /// Cost in integer pico-USD (10⁻¹² USD), and what could not be priced.
    public struct Cost: Codable, Sendable, Hashable {
        public var modelPicoUSD: Int64
        public var computePicoUSD: Int64
        public var orchestrationPicoUSD: Int64
        public var totalPicoUSD: Int64
        /// Empty when fully priced; otherwise the parts without a rate (`model`, `compute`, `orchestration`).
        public var unpriced: [String]
        public var rateVersion: String

        public init(
            modelPicoUSD: Int64, computePicoUSD: Int64, orchestrationPicoUSD: Int64, totalPicoUSD: Int64,
            unpriced: [String],
            rateVersion: String
        ) {
            self.modelPicoUSD = modelPicoUSD
            self.computePicoUSD = computePicoUSD
            self.orchestrationPicoUSD = orchestrationPicoUSD
            self.totalPicoUSD = totalPicoUSD
            self.unpriced = unpriced
            self.rateVersion = rateVersion
        }
    }
}

/// Where a step ran, as usage records and rollups group it.
public enum UsageBackend: String, Codable, Sendable, CaseIterable, Hashable {
    case lambda, sagemaker, fargate, external, none
}

/// What a step processed.
public enum Modality: String, Codable, Sendable, CaseIterable, Hashable {
    case text, image, multimodal, none
}

/// How a step ended.
public enum UsageStatus: String, Codable, Sendable, CaseIterable, Hashable {
    case succeeded
    case failed
    /// Served by a fallback model.
    case fallback
    /// Answered, but not as asked (a degraded answer after every model failed).
    case degraded
    /// Refused by the router before any model ran.
    case rejected
    case running
}
