/// Prices a `BillableUsage` against a `RatesTable`. Pure and allocation-free on the hot path.
///
/// Each component (model, compute, orchestration) is accumulated exactly over a common
/// denominator (`ExactSum`) and rounded once, half to even, to whole pico-dollars; the total is
/// the sum of the three rounded components, so it is within 1.5 pico-USD of the exact value and
/// always equals the sum of the parts a report shows.
public struct CostCalculator: Sendable {
    public let rates: RatesTable

    /// Divisors from billing units to the rates' units (see `ExactSum.commonDenominator`).
    @usableFromInline enum Divisor {
        @usableFromInline static let perMillion: Int128 = 1_000_000
        @usableFromInline static let mbMillisecondsPerGBSecond: Int128 = 1_024_000
        @usableFromInline static let millisecondsPerHour: Int128 = 3_600_000
        @usableFromInline static let milliVCPUMillisecondsPerVCPUHour: Int128 = 3_600_000_000
        @usableFromInline static let mbMillisecondsPerGBHour: Int128 = 3_686_400_000
    }

    public init(rates: RatesTable) { self.rates = rates }

    public func cost(of usage: BillableUsage) -> CostBreakdown {
        var unpriced: UnpricedParts = []
        var model = ExactSum()
        if let id = usage.model {
            if let rate = rates.model(id, at: usage.timestamp) {
                addModelCharges(rate, usage, into: &model)
            } else {
                unpriced.insert(.model)
            }
        }
        var compute = ExactSum()
        if let usageOfCompute = usage.compute, !addComputeCharges(usageOfCompute, at: usage.timestamp, into: &compute) {
            unpriced.insert(.compute)
        }
        var orchestration = ExactSum()
        if let run = usage.orchestration {
            if let rate = rates.expressWorkflow(at: usage.timestamp) {
                let memory = Self.roundUp(max(run.memoryMB, 1), to: rate.memoryIncrementMB)
                let duration = Self.roundUp(max(run.durationMilliseconds, 1), to: rate.durationIncrementMilliseconds)
                orchestration.add(rate: rate.perMillionRequests, quantity: run.requests, divisor: Divisor.perMillion)
                orchestration.add(rate: rate.perGBSecond, quantity: memory * duration, divisor: Divisor.mbMillisecondsPerGBSecond)
            } else {
                unpriced.insert(.orchestration)
            }
        }
        return CostBreakdown(
            model: model.exact.rounded(), compute: compute.exact.rounded(), orchestration: orchestration.exact.rounded(),
            unpriced: unpriced, rateVersion: rates.version)
    }

    @inline(__always)
    private func addModelCharges(_ rate: ModelRate, _ usage: BillableUsage, into sum: inout ExactSum) {
        let tokens = usage.tokens
        let cached = min(tokens.cachedInput, tokens.input)
        sum.add(rate: rate.inputPerMillionTokens, quantity: tokens.input - cached, divisor: Divisor.perMillion)
        sum.add(rate: rate.cachedInputPerMillionTokens ?? rate.inputPerMillionTokens, quantity: cached, divisor: Divisor.perMillion)
        sum.add(rate: rate.outputPerMillionTokens, quantity: tokens.output, divisor: Divisor.perMillion)
        sum.add(rate: rate.perImage, quantity: usage.images)
    }

    /// - Returns: false when no rate covers this compute.
    @inline(__always)
    private func addComputeCharges(_ compute: ComputeUsage, at time: Int64, into sum: inout ExactSum) -> Bool {
        switch compute {
        case .lambda(let architecture, let memoryMB, let duration, let requests):
            guard let rate = rates.lambda(architecture, at: time) else { return false }
            sum.add(rate: rate.perMillionRequests, quantity: requests, divisor: Divisor.perMillion)
            sum.add(rate: rate.perGBSecond, quantity: memoryMB * duration, divisor: Divisor.mbMillisecondsPerGBSecond)
        case .fargate(let architecture, let milliVCPU, let memoryMB, let duration):
            guard let rate = rates.fargate(architecture, at: time) else { return false }
            sum.add(rate: rate.perVCPUHour, quantity: milliVCPU * duration, divisor: Divisor.milliVCPUMillisecondsPerVCPUHour)
            sum.add(rate: rate.perGBHour, quantity: memoryMB * duration, divisor: Divisor.mbMillisecondsPerGBHour)
        case .endpoint(let instanceType, let duration):
            guard let rate = rates.endpoint(instanceType, at: time) else { return false }
            sum.add(rate: rate.perHour, quantity: duration, divisor: Divisor.millisecondsPerHour)
        }
        return true
    }

    @inline(__always)
    static func roundUp(_ value: Int64, to increment: Int64) -> Int64 {
        (value + increment - 1) / increment * increment
    }
}
