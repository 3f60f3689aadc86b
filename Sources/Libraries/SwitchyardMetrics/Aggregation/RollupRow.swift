/// One rollup bucket as a query reads it: its key and its sums. The store returns rows of every
/// granularity a `TimeCover` asks for; the aggregations add them up.
public struct RollupRow: Sendable, Equatable {
    /// Start of the bucket (minute, hour or day), epoch ms.
    public var start: Int64
    public var granularity: Granularity
    public var tenant: String
    /// `-` when the records carried no tier.
    public var tier: String
    public var step: String
    /// Catalog id, or `-` for records without a model (router, orchestration).
    public var model: String
    public var backend: String
    /// `-` when none.
    public var errorType: String
    public var count: Int64
    /// Records with status `failed`.
    public var errors: Int64
    public var unpriced: Int64
    public var tokensInput: Int64
    public var tokensOutput: Int64
    public var costModel: Int64
    public var costCompute: Int64
    public var costOrchestration: Int64
    public var costTotal: Int64
    public var latencySumMs: Int64
    /// Latencies (`latency.totalMs`) of the bucket's records.
    public var latency: SparseHistogram
    /// Day buckets only: records and failed records per hour of the day (0...23; no zero
    /// entries), so an hourly series over a month reads ~30 day buckets per key, not 720 hour ones.
    public var hourCounts: [Int: Int64] = [:]
    public var hourErrors: [Int: Int64] = [:]

    public init(
        start: Int64, granularity: Granularity = .minute, tenant: String, tier: String = "-", step: String,
        model: String = "-", backend: String, errorType: String = "-", count: Int64 = 0, errors: Int64 = 0,
        unpriced: Int64 = 0, tokensInput: Int64 = 0, tokensOutput: Int64 = 0, costModel: Int64 = 0,
        costCompute: Int64 = 0, costOrchestration: Int64 = 0, costTotal: Int64 = 0, latencySumMs: Int64 = 0,
        latency: SparseHistogram = SparseHistogram()
    ) {
        self.start = start
        self.granularity = granularity
        self.tenant = tenant
        self.tier = tier
        self.step = step
        self.model = model
        self.backend = backend
        self.errorType = errorType
        self.count = count
        self.errors = errors
        self.unpriced = unpriced
        self.tokensInput = tokensInput
        self.tokensOutput = tokensOutput
        self.costModel = costModel
        self.costCompute = costCompute
        self.costOrchestration = costOrchestration
        self.costTotal = costTotal
        self.latencySumMs = latencySumMs
        self.latency = latency
    }

    /// Whether the row is a model call (it names a model), which latency, model-share and error
    /// charts count; router and orchestration records only add cost and request counts.
    public var isModelCall: Bool { model != "-" }

    /// The step every request passes once: its rows count requests.
    public static let requestStep = "router"
}
