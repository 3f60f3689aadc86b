/// One kind of request, as the cost model prices it: what it calls and how much of each.
///
/// Quantities are per request. Every number is an integer (tokens, milliseconds, bytes, counts),
/// so the model stays exact; fractions are given per million requests.
public struct CostScenario: Codable, Sendable, Equatable {
    public var name: String
    /// `openai` (through the ingress Lambda, which waits for the execution) or `native` (API
    /// Gateway straight into StartSyncExecution).
    public var entry: Entry
    /// LLM calls the request makes (one llm-caller invocation each).
    public var llm: [LLMCall]
    /// Images the request detects objects in, and the vision invocations that carry them.
    public var images: Int64
    public var visionInvocations: Int64
    /// Where detection runs; nil = the deployment's preferred home.
    public var visionHome: VisionHome?
    /// Map concurrency for batch items (vision invocations run this many at a time).
    public var mapConcurrency: Int64
    /// Messages the execution sends to the usage queue.
    public var usageMessages: Int64
    /// Bytes to and from providers (prompts, answers), which pass the NAT gateway when there is one.
    public var providerBytes: Int64

    public enum Entry: String, Codable, Sendable {
        case openai
        case native
    }

    public struct LLMCall: Codable, Sendable, Equatable {
        /// Catalog id, priced from the rates table.
        public var model: String
        public var inputTokens: Int64
        public var outputTokens: Int64
        /// How long the provider takes to answer: the llm-caller's billed wait.
        public var providerMs: Int64

        public init(model: String, inputTokens: Int64, outputTokens: Int64, providerMs: Int64) {
            self.model = model
            self.inputTokens = inputTokens
            self.outputTokens = outputTokens
            self.providerMs = providerMs
        }
    }

    public init(
        name: String, entry: Entry = .openai, llm: [LLMCall] = [], images: Int64 = 0, visionInvocations: Int64 = 0,
        visionHome: VisionHome? = nil, mapConcurrency: Int64 = 1, usageMessages: Int64 = 1, providerBytes: Int64 = 0
    ) {
        self.name = name
        self.entry = entry
        self.llm = llm
        self.images = images
        self.visionInvocations = visionInvocations
        self.visionHome = visionHome
        self.mapConcurrency = mapConcurrency
        self.usageMessages = usageMessages
        self.providerBytes = providerBytes
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        entry = try c.decodeIfPresent(Entry.self, forKey: .entry) ?? .openai
        llm = try c.decodeIfPresent([LLMCall].self, forKey: .llm) ?? []
        images = try c.decodeIfPresent(Int64.self, forKey: .images) ?? 0
        visionInvocations = try c.decodeIfPresent(Int64.self, forKey: .visionInvocations) ?? 0
        visionHome = try c.decodeIfPresent(VisionHome.self, forKey: .visionHome)
        mapConcurrency = try c.decodeIfPresent(Int64.self, forKey: .mapConcurrency) ?? 1
        usageMessages = try c.decodeIfPresent(Int64.self, forKey: .usageMessages) ?? 1
        providerBytes = try c.decodeIfPresent(Int64.self, forKey: .providerBytes) ?? 0
    }
}

/// Durations and sizes the model multiplies prices by: the benchmarks' numbers (or the usage
/// database's), each with its source in `infra/cost/measurements.json`.
public struct CostMeasurements: Codable, Sendable, Equatable {
    /// Billed ms of one router invocation.
    public var routerMs: Int64
    /// The llm-caller's own ms on top of the provider's answer.
    public var llmCallerOverheadMs: Int64
    /// The ingress's own ms on top of the execution it waits for.
    public var ingressOverheadMs: Int64
    public var authorizerMs: Int64
    /// Authorizer invocations per million requests (API Gateway caches its answer per key).
    public var authorizerInvocationsPerMillion: Int64
    /// The Express execution's ms beyond the Lambda tasks (state transitions, SQS sends).
    public var expressOverheadMs: Int64
    /// Billed memory of an Express execution, MB (billed in 64 MB steps).
    public var expressMemoryMB: Int64
    /// One usage-logger invocation with a full batch, ms, and the batch size of the mapping.
    public var usageLoggerBatchMs: Int64
    public var usageBatchSize: Int64
    /// One scheduled repair pass, ms, and passes per hour.
    public var repairMs: Int64
    public var repairsPerHour: Int64
    /// Per image, by home: the vision function's billed ms, the backend's busy ms, bytes on the wire.
    public var vision: [String: VisionMeasurement]
    /// Bytes each function invocation writes to CloudWatch Logs (the one EMF line).
    public var logBytesPerInvocation: Int64
    /// X-Ray traces recorded per million requests (sampling).
    public var xrayTracesPerMillion: Int64
    /// Long-polling SQS pollers the event source mapping keeps when idle (each polls every 20 s).
    public var sqsIdlePollers: Int64
    /// Secrets Manager calls per month (cold starts and cache refreshes).
    public var secretCallsPerMonth: Int64
    /// Load balancer capacity units in use on average.
    public var loadBalancerLCUs: Int64
    public var hoursPerMonth: Int64

    public struct VisionMeasurement: Codable, Sendable, Equatable {
        public var functionMsPerImage: Int64
        public var backendMsPerImage: Int64
        public var bytesPerImage: Int64

        public init(functionMsPerImage: Int64, backendMsPerImage: Int64 = 0, bytesPerImage: Int64 = 0) {
            self.functionMsPerImage = functionMsPerImage
            self.backendMsPerImage = backendMsPerImage
            self.bytesPerImage = bytesPerImage
        }
    }

    public init(
        routerMs: Int64, llmCallerOverheadMs: Int64, ingressOverheadMs: Int64, authorizerMs: Int64,
        authorizerInvocationsPerMillion: Int64, expressOverheadMs: Int64, expressMemoryMB: Int64 = 64,
        usageLoggerBatchMs: Int64, usageBatchSize: Int64, repairMs: Int64, repairsPerHour: Int64 = 60,
        vision: [String: VisionMeasurement], logBytesPerInvocation: Int64, xrayTracesPerMillion: Int64,
        sqsIdlePollers: Int64, secretCallsPerMonth: Int64, loadBalancerLCUs: Int64 = 1, hoursPerMonth: Int64 = 730
    ) {
        self.routerMs = routerMs
        self.llmCallerOverheadMs = llmCallerOverheadMs
        self.ingressOverheadMs = ingressOverheadMs
        self.authorizerMs = authorizerMs
        self.authorizerInvocationsPerMillion = authorizerInvocationsPerMillion
        self.expressOverheadMs = expressOverheadMs
        self.expressMemoryMB = expressMemoryMB
        self.usageLoggerBatchMs = usageLoggerBatchMs
        self.usageBatchSize = usageBatchSize
        self.repairMs = repairMs
        self.repairsPerHour = repairsPerHour
        self.vision = vision
        self.logBytesPerInvocation = logBytesPerInvocation
        self.xrayTracesPerMillion = xrayTracesPerMillion
        self.sqsIdlePollers = sqsIdlePollers
        self.secretCallsPerMonth = secretCallsPerMonth
        self.loadBalancerLCUs = loadBalancerLCUs
        self.hoursPerMonth = hoursPerMonth
    }

    /// The measurement for `home`.
    /// - Throws: `CostModelError` when the file has none.
    public func vision(_ home: VisionHome) throws(CostModelError) -> VisionMeasurement {
        guard let value = vision[home.rawValue] else { throw .missingMeasurement("vision.\(home.rawValue)") }
        return value
    }
}
