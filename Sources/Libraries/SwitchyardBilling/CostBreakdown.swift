import SwitchyardContract

/// The cost of one step, split the way finance reads it, plus what could not be priced.
public struct CostBreakdown: Sendable, Hashable {
    /// Token and image charges of the model provider.
    public var model: PicoUSD
    /// Lambda / Fargate / endpoint time the step used.
    public var compute: PicoUSD
    /// Step Functions charges.
    public var orchestration: PicoUSD
    /// Parts with no matching rate. Their amount is *unknown*, not zero: totals that include an
    /// unpriced part are lower bounds, and dashboards show them as such.
    public var unpriced: UnpricedParts
    /// `RatesTable.version` used.
    public var rateVersion: String

    public init(
        model: PicoUSD = .zero, compute: PicoUSD = .zero, orchestration: PicoUSD = .zero, unpriced: UnpricedParts = [],
        rateVersion: String
    ) {
        self.model = model
        self.compute = compute
        self.orchestration = orchestration
        self.unpriced = unpriced
        self.rateVersion = rateVersion
    }

    /// The sum of the parts; `Billing.AmountOutOfRange` when it leaves the representable range.
    public var total: PicoUSD {
        get throws(MoneyError) { try model.adding(compute).adding(orchestration) }
    }
    public var isPriced: Bool { unpriced.isEmpty }
}

/// Which parts of a cost had no rate.
public struct UnpricedParts: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let model = UnpricedParts(rawValue: 1)
    public static let compute = UnpricedParts(rawValue: 2)
    public static let orchestration = UnpricedParts(rawValue: 4)

    /// Stable names, for documents and logs: `["model", "compute"]`.
    public var names: [String] {
        var names: [String] = []
        if contains(.model) { names.append("model") }
        if contains(.compute) { names.append("compute") }
        if contains(.orchestration) { names.append("orchestration") }
        return names
    }

    public init(names: [String]) {
        self = []
        for name in names {
            switch name {
            case "model": insert(.model)
            case "compute": insert(.compute)
            case "orchestration": insert(.orchestration)
            default: break
            }
        }
    }
}
