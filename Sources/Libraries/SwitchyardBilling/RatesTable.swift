/// A versioned, immutable table of prices, built once at init (from `infra/rates.json`).
///
/// Lookups pick the newest entry whose `effectiveFrom` is at or before the time being priced, so
/// a price change is a new entry with a later date, and old records stay reproducible. The
/// table's `version` is written on every usage record priced with it.
public struct RatesTable: Sendable {
    public let version: String
    // Architectures index an array directly (no hashing on the hot path).
    private let models: [String: [ModelRate]]
    private let lambda: [[LambdaRate]]
    private let fargate: [[FargateRate]]
    private let endpoints: [String: [EndpointRate]]
    private let expressWorkflows: [ExpressWorkflowRate]

    /// - Parameters: entries in any order; they are sorted newest first per key.
    public init(
        version: String, models: [ModelRate], lambda: [LambdaRate] = [], expressWorkflows: [ExpressWorkflowRate] = [],
        fargate: [FargateRate] = [], endpoints: [EndpointRate] = []
    ) {
        self.version = version
        func newestFirst<R: EffectiveDated>(_ entries: [R]) -> [R] {
            entries.sorted { $0.effectiveFrom > $1.effectiveFrom }
        }
        self.models = Dictionary(grouping: models, by: \.model).mapValues(newestFirst)
        self.endpoints = Dictionary(grouping: endpoints, by: \.instanceType).mapValues(newestFirst)
        self.lambda = Architecture.allCases.map { arch in newestFirst(lambda.filter { $0.architecture == arch }) }
        self.fargate = Architecture.allCases.map { arch in newestFirst(fargate.filter { $0.architecture == arch }) }
        self.expressWorkflows = expressWorkflows.sorted { $0.effectiveFrom > $1.effectiveFrom }
    }

    /// Model ids with at least one price entry.
    public var modelIDs: [String] { models.keys.sorted() }

    public func model(_ id: String, at time: Int64) -> ModelRate? { Self.newest(models[id], at: time) }
    public func lambda(_ architecture: Architecture, at time: Int64) -> LambdaRate? {
        Self.newest(lambda[architecture.index], at: time)
    }
    public func fargate(_ architecture: Architecture, at time: Int64) -> FargateRate? {
        Self.newest(fargate[architecture.index], at: time)
    }
    public func endpoint(_ instanceType: String, at time: Int64) -> EndpointRate? {
        Self.newest(endpoints[instanceType], at: time)
    }
    public func expressWorkflow(at time: Int64) -> ExpressWorkflowRate? { Self.newest(expressWorkflows, at: time) }

    @inline(__always)
    private static func newest<R: EffectiveDated>(_ entries: [R]?, at time: Int64) -> R? {
        guard let entries else { return nil }
        for entry in entries where entry.effectiveFrom <= time { return entry }
        return nil
    }
}

extension Architecture {
    var index: Int { self == .x86_64 ? 0 : 1 }
}

/// Anything with an `effectiveFrom` timestamp.
protocol EffectiveDated { var effectiveFrom: Int64 { get } }
extension ModelRate: EffectiveDated {}
extension LambdaRate: EffectiveDated {}
extension FargateRate: EffectiveDated {}
extension EndpointRate: EffectiveDated {}
extension ExpressWorkflowRate: EffectiveDated {}
