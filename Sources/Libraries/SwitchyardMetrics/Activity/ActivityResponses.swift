import SwitchyardContract

/// One line of the recent-activity list: a usage record without its bookkeeping.
public struct ActivityEntry: Codable, Sendable, Equatable {
    public var timestamp: Int64
    public var requestId: String
    public var step: String
    public var attempt: Int
    public var tenant: String
    public var tier: String?
    public var category: String?
    public var route: String?
    public var model: String?
    public var backend: String
    public var status: String
    public var errorType: String?
    public var latencyMs: Int64
    public var tokensInput: Int64?
    public var tokensOutput: Int64?
    public var cost: Money?

    public init(_ record: UsageRecord) {
        timestamp = record.timestamp
        requestId = record.requestID
        step = record.step
        attempt = record.attempt
        tenant = record.tenant
        tier = record.tier
        category = record.category?.rawValue
        route = record.route
        model = record.model?.rawValue
        backend = record.backend.rawValue
        status = record.status.rawValue
        errorType = record.errorType
        latencyMs = record.latency.totalMs
        tokensInput = record.tokens?.input
        tokensOutput = record.tokens?.output
        cost = record.cost.map { Money($0.totalPicoUSD) }
    }
}

/// A page of recent activity, newest first.
public struct ActivityResponse: Codable, Sendable, Equatable {
    public var entries: [ActivityEntry]
    /// Pass as `cursor` for the next (older) page; nil when this is the last one.
    public var nextCursor: String?
}

/// Every step of one request, in time order: the drill-down.
public struct RequestDetailResponse: Codable, Sendable, Equatable {
    public var requestId: String
    public var tenant: String
    public var tier: String?
    public var steps: [UsageRecord]
    public var total: Money
    /// From the first step's start to the last step's end, ms.
    public var spanMs: Int64
}

/// What the filters can choose from in a range.
public struct DimensionsResponse: Codable, Sendable, Equatable {
    public struct Tenant: Codable, Sendable, Hashable {
        public var tenant: String
        public var tier: String

        public init(tenant: String, tier: String) {
            self.tenant = tenant
            self.tier = tier
        }
    }
    public var tenants: [Tenant]
    public var tiers: [String]
    public var models: [String]

    public init(tenants: [Tenant], tiers: [String], models: [String]) {
        self.tenants = tenants
        self.tiers = tiers
        self.models = models
    }
}

/// Narrowing of the activity list beyond the common filter.
public struct ActivityFilter: Sendable, Equatable {
    public var status: UsageStatus?
    public var model: String?
    public var requestLimit: Int

    public init(status: UsageStatus? = nil, model: String? = nil, requestLimit: Int = 50) {
        self.status = status
        self.model = model
        self.requestLimit = requestLimit
    }
}
