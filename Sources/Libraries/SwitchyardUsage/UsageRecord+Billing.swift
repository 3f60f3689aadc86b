import SwitchyardBilling

extension UsageRecord {
    struct UnbillableCompute: Error {}

    /// The billing quantities of this record.
    public func billableUsage() -> BillableUsage {
        BillableUsage(
            timestamp: timestamp, model: model,
            tokens: TokenCounts(
                input: tokens?.input ?? 0, cachedInput: tokens?.cached ?? 0, output: tokens?.output ?? 0,
                reasoning: tokens?.reasoning ?? 0),
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
    public func priced(by calculator: CostCalculator) -> UsageRecord {
        var copy = self
        copy.cost = Cost(calculator.cost(of: billableUsage()))
        return copy
    }
}
