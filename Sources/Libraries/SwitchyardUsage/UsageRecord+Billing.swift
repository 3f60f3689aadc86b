import SwitchyardBilling
import SwitchyardContract

extension UsageRecord {
    struct UnbillableCompute: Error {}

    /// The billing quantities of this record.
    public func billableUsage() -> BillableUsage {
        BillableUsage(
            timestamp: timestamp, model: model?.rawValue,
            tokens: TokenCounts(
                input: tokens?.input ?? 0, cachedInput: tokens?.cached ?? 0, cacheWrite: tokens?.cacheWrite ?? 0,
                output: tokens?.output ?? 0, reasoning: tokens?.reasoning ?? 0),
            images: images?.count ?? 0, compute: try? billableCompute(),
            orchestration: orchestration.map {
                OrchestrationUsage(memoryMB: $0.memoryMB, durationMilliseconds: $0.durationMs, requests: $0.requests)
            })
    }

    func billableCompute() throws -> ComputeUsage? {
        guard let compute else { return nil }
        switch compute.kind {
        case "lambda":
            guard let arch = compute.architecture.flatMap(Architecture.init(rawValue:)), let memory = compute.memoryMB
            else {
                throw UnbillableCompute()
            }
            return .lambda(architecture: arch, memoryMB: memory, durationMilliseconds: compute.durationMs)
        case "fargate":
            guard let arch = compute.architecture.flatMap(Architecture.init(rawValue:)), let memory = compute.memoryMB,
                let vcpu = compute.milliVCPU
            else { throw UnbillableCompute() }
            return .fargate(
                architecture: arch, milliVCPU: vcpu, memoryMB: memory, durationMilliseconds: compute.durationMs)
        case "endpoint":
            guard let instance = compute.instanceType else { throw UnbillableCompute() }
            return .endpoint(instanceType: instance, durationMilliseconds: compute.durationMs)
        default:
            throw UnbillableCompute()
        }
    }

    /// This record with `cost` computed from `calculator`'s rates (any cost sent in is replaced).
    /// - Throws: `Billing.AmountOutOfRange` when the cost leaves the representable range,
    ///   `Billing.InvalidQuantity` for a negative quantity.
    public func priced(by calculator: CostCalculator) throws(MoneyError) -> UsageRecord {
        var copy = self
        copy.cost = try Cost(try calculator.cost(of: billableUsage()))
        return copy
    }
}

extension UsageRecord.Cost {
    /// The stored form of a cost breakdown.
    public init(_ breakdown: CostBreakdown) throws(MoneyError) {
        self.init(
            modelPicoUSD: breakdown.model.rawValue, computePicoUSD: breakdown.compute.rawValue,
            orchestrationPicoUSD: breakdown.orchestration.rawValue, totalPicoUSD: try breakdown.total.rawValue,
            unpriced: breakdown.unpriced.names, rateVersion: breakdown.rateVersion)
    }
}
