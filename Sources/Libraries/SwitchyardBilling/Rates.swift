import SwitchyardContract

/// Price entries of the rates table. Each carries `effectiveFrom` (epoch milliseconds, UTC
/// midnight of the date written in `infra/rates.json`); a record is priced with the newest entry
/// whose `effectiveFrom` is not after the record's timestamp.

/// Token and image prices of one model, as published (per 1M tokens, per image).
public struct ModelRate: Sendable, Hashable {
    public var model: String
    public var provider: String
    public var effectiveFrom: Int64
    public var inputPerMillionTokens: PicoUSD
    /// Price of prompt tokens served from the provider's cache; nil = billed as ordinary input.
    public var cachedInputPerMillionTokens: PicoUSD?
    /// Price of prompt tokens written to the provider's cache (Anthropic: 1.25× input for the
    /// 5-minute cache); nil = billed as ordinary input (providers without a write surcharge).
    public var cacheWritePerMillionTokens: PicoUSD?
    public var outputPerMillionTokens: PicoUSD
    public var perImage: PicoUSD

    public init(
        model: String, provider: String, effectiveFrom: Int64, inputPerMillionTokens: PicoUSD = .zero,
        cachedInputPerMillionTokens: PicoUSD? = nil, cacheWritePerMillionTokens: PicoUSD? = nil,
        outputPerMillionTokens: PicoUSD = .zero, perImage: PicoUSD = .zero
    ) {
        self.model = model
        self.provider = provider
        self.effectiveFrom = effectiveFrom
        self.inputPerMillionTokens = inputPerMillionTokens
        self.cachedInputPerMillionTokens = cachedInputPerMillionTokens
        self.cacheWritePerMillionTokens = cacheWritePerMillionTokens
        self.outputPerMillionTokens = outputPerMillionTokens
        self.perImage = perImage
    }
}

/// CPU architecture, which sets Lambda's and Fargate's GB-second and vCPU prices.
public enum Architecture: String, Sendable, Hashable, CaseIterable {
    case x86_64
    case arm64
}

/// AWS Lambda: a price per request plus a price per GB-second (memory × billed duration, 1 ms granularity).
public struct LambdaRate: Sendable, Hashable {
    public var architecture: Architecture
    public var effectiveFrom: Int64
    public var perMillionRequests: PicoUSD
    public var perGBSecond: PicoUSD
}

/// Step Functions Express: per request plus GB-seconds, billed in 64 MB and 100 ms increments.
public struct ExpressWorkflowRate: Sendable, Hashable {
    public var effectiveFrom: Int64
    public var perMillionRequests: PicoUSD
    public var perGBSecond: PicoUSD
    public var memoryIncrementMB: Int64
    public var durationIncrementMilliseconds: Int64
}

/// ECS on Fargate: per vCPU-hour and per GB-hour, billed per second.
public struct FargateRate: Sendable, Hashable {
    public var architecture: Architecture
    public var effectiveFrom: Int64
    public var perVCPUHour: PicoUSD
    public var perGBHour: PicoUSD
}

/// A provisioned endpoint instance (e.g. SageMaker ml.g4dn.xlarge), billed per hour while up.
public struct EndpointRate: Sendable, Hashable {
    public var instanceType: String
    public var effectiveFrom: Int64
    public var perHour: PicoUSD
}
