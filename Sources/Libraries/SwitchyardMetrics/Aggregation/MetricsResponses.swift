import SwitchyardContract

/// Money as it crosses the API: exact integer pico-USD (for programs) and the same amount as a
/// decimal USD string (for people and for JavaScript, whose numbers lose integers above 2^53).
public struct Money: Codable, Sendable, Equatable {
    public var picoUSD: Int64
    public var usd: String

    public init(_ pico: Int64) {
        picoUSD = pico
        usd = PicoUSD(pico).description
    }
}

/// Volume over time.
public struct VolumeResponse: Codable, Sendable, Equatable {
    public struct Point: Codable, Sendable, Equatable {
        /// Bucket start, epoch ms.
        public var start: Int64
        /// Requests: records of the router step, which every request passes once.
        public var requests: Int64
        /// Usage records (billed steps and attempts) of every kind.
        public var calls: Int64
        /// Records with status `failed`.
        public var errors: Int64
    }
    public var bucket: Granularity
    public var from: Int64
    public var to: Int64
    /// Every bucket of the range, empty ones included (zeros), oldest first.
    public var points: [Point]
    public var totals: Point
}

/// Latency percentiles per backend or per model.
public struct LatencyResponse: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var key: String
        public var count: Int64
        public var p50Ms: Double
        public var p90Ms: Double
        public var p99Ms: Double
        public var meanMs: Double
    }
    /// `backend` or `model`.
    public var by: String
    /// Most a reported percentile differs from the exact one, as a fraction (histogram buckets).
    public var relativeError: Double
    public var groups: [Group]
}

/// Cost by tenant, model or backend, in total and per day.
public struct CostResponse: Codable, Sendable, Equatable {
    public struct Group: Codable, Sendable, Equatable {
        public var key: String
        public var count: Int64
        public var total: Money
        public var model: Money
        public var compute: Money
        public var orchestration: Money
        /// Records with a part the rates table could not price: `total` is a lower bound.
        public var unpriced: Int64
    }
    public struct Series: Codable, Sendable, Equatable {
        public var key: String
        /// One amount per entry of `days`.
        public var points: [Money]
    }
    /// `tenant`, `model` or `backend`.
    public var by: String
    public var total: Money
    public var groups: [Group]
    /// Day starts (UTC), epoch ms, oldest first.
    public var days: [Int64]
    /// One stack per key, over `days`.
    public var series: [Series]
}

/// How calls share out among models.
public struct ModelShareResponse: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var model: String
        public var calls: Int64
        /// calls / total calls, 0...1.
        public var share: Double
        public var cost: Money
        public var tokensInput: Int64
        public var tokensOutput: Int64
    }
    public var totalCalls: Int64
    public var models: [Entry]
}

/// Errors by errorType.
public struct ErrorsResponse: Codable, Sendable, Equatable {
    public struct Entry: Codable, Sendable, Equatable {
        public var errorType: String
        public var count: Int64
        /// count / model calls, 0...1.
        public var rate: Double
    }
    /// Model calls in the range (records naming a model).
    public var calls: Int64
    /// Records with status `failed` among them.
    public var failed: Int64
    /// failed / calls, 0...1.
    public var errorRate: Double
    /// Every errorType seen on model calls, most frequent first.
    public var types: [Entry]
}

/// Every panel's data from one read of the rollups.
public struct SummaryResponse: Codable, Sendable, Equatable {
    public var generatedAt: Int64
    public var from: Int64
    public var to: Int64
    public var tenant: String?
    public var tier: String?
    public var volume: VolumeResponse
    public var latencyByBackend: LatencyResponse
    public var latencyByModel: LatencyResponse
    public var cost: CostResponse
    public var models: ModelShareResponse
    public var errors: ErrorsResponse
    /// Rollup buckets read to answer.
    public var rowsRead: Int
}
