/// Prices a `BillableUsage` against a `RatesTable`. Pure and allocation-free on the hot path.
///
/// Each component (model, compute, orchestration) is accumulated exactly as a fraction
/// (`ExactSum`) and rounded once, half to even, to whole pico-dollars; the total is
/// the sum of the three rounded components, so it is within 1.5 pico-USD of the exact value and
/// always equals the sum of the parts a report shows.
public struct CostCalculator: Sendable {
    public let rates: RatesTable

    /// Per-component denominators (the least common multiple of the divisors each uses) and
    /// the scales of their divisors, computed once. See `ExactSum`.
    enum Unit {
        /// Tokens (per 1M) and images (per 1).
        static let model: Int128 = 1_000_000
        static let modelPerMillion = ExactSum.Scale(divisor: 1_000_000, denominator: model)
        static let modelEach = ExactSum.Scale(divisor: 1, denominator: model)
        /// Requests (per 1M) and GB-seconds from MB·ms (÷ 1,024,000): Lambda and Step Functions.
        static let gbSecond: Int128 = 128_000_000
        static let gbSecondPerMillion = ExactSum.Scale(divisor: 1_000_000, denominator: gbSecond)
        static let gbSecondFromMBms = ExactSum.Scale(divisor: 1_024_000, denominator: gbSecond)
        /// Hours from ms (÷ 3,600,000): endpoints.
        static let hour: Int128 = 3_600_000
        static let hourFromMs = ExactSum.Scale(divisor: 3_600_000, denominator: hour)
        /// vCPU-hours from milli-vCPU·ms and GB-hours from MB·ms: Fargate.
        static let fargate: Int128 = ExactSum.commonDenominator
        static let vcpuHourFromMilliVCPUms = ExactSum.Scale(divisor: 3_600_000_000, denominator: fargate)
        static let gbHourFromMBms = ExactSum.Scale(divisor: 3_686_400_000, denominator: fargate)
    }

    public init(rates: RatesTable) { self.rates = rates }

    public func cost(of usage: BillableUsage) -> CostBreakdown {
        var unpriced: UnpricedParts = []
        var model = ExactSum(denominator: Unit.model)
        if let id = usage.model {
            if let rate = rates.model(id, at: usage.timestamp) {
                addModelCharges(rate, usage, into: &model)
            } else {
                unpriced.insert(.model)
            }
        }
        var compute = ExactAmount.zero
        if let usageOfCompute = usage.compute {
            if let amount = computeCharges(usageOfCompute, at: usage.timestamp) {
                compute = amount
            } else {
                unpriced.insert(.compute)
            }
        }
        var orchestration = ExactSum(denominator: Unit.gbSecond)
        if let run = usage.orchestration {
            if let rate = rates.expressWorkflow(at: usage.timestamp) {
                let memory = Self.roundUp(max(run.memoryMB, 1), to: rate.memoryIncrementMB)
                let duration = Self.roundUp(max(run.durationMilliseconds, 1), to: rate.durationIncrementMilliseconds)
                orchestration.add(rate: rate.perMillionRequests, quantity: run.requests, scale: Unit.gbSecondPerMillion)
                orchestration.add(rate: rate.perGBSecond, quantity: memory * duration, scale: Unit.gbSecondFromMBms)
            } else {
                unpriced.insert(.orchestration)
            }
        }
        return CostBreakdown(
            model: model.exact.rounded(), compute: compute.rounded(), orchestration: orchestration.exact.rounded(),
            unpriced: unpriced, rateVersion: rates.version)
    }

    @inline(__always)
    private func addModelCharges(_ rate: ModelRate, _ usage: BillableUsage, into sum: inout ExactSum) {
        let tokens = usage.tokens
        // Fresh input = input - cache reads - cache writes (validation keeps both within input).
        let cached = min(tokens.cachedInput, tokens.input)
        let written = min(tokens.cacheWrite, tokens.input - cached)
        sum.add(
            rate: rate.inputPerMillionTokens, quantity: tokens.input - cached - written, scale: Unit.modelPerMillion)
        sum.add(
            rate: rate.cachedInputPerMillionTokens ?? rate.inputPerMillionTokens, quantity: cached,
            scale: Unit.modelPerMillion)
        sum.add(
            rate: rate.cacheWritePerMillionTokens ?? rate.inputPerMillionTokens, quantity: written,
            scale: Unit.modelPerMillion)
        sum.add(rate: rate.outputPerMillionTokens, quantity: tokens.output, scale: Unit.modelPerMillion)
        sum.add(rate: rate.perImage, quantity: usage.images, scale: Unit.modelEach)
    }

    /// - Returns: nil when no rate covers this compute.
    @inline(__always)
    private func computeCharges(_ compute: ComputeUsage, at time: Int64) -> ExactAmount? {
        switch compute {
        case .lambda(let architecture, let memoryMB, let duration, let requests):
            guard let rate = rates.lambda(architecture, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.gbSecond)
            sum.add(rate: rate.perMillionRequests, quantity: requests, scale: Unit.gbSecondPerMillion)
            sum.add(rate: rate.perGBSecond, quantity: memoryMB * duration, scale: Unit.gbSecondFromMBms)
            return sum.exact
        case .fargate(let architecture, let milliVCPU, let memoryMB, let duration):
            guard let rate = rates.fargate(architecture, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.fargate)
            sum.add(rate: rate.perVCPUHour, quantity: milliVCPU * duration, scale: Unit.vcpuHourFromMilliVCPUms)
            sum.add(rate: rate.perGBHour, quantity: memoryMB * duration, scale: Unit.gbHourFromMBms)
            return sum.exact
        case .endpoint(let instanceType, let duration):
            guard let rate = rates.endpoint(instanceType, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.hour)
            sum.add(rate: rate.perHour, quantity: duration, scale: Unit.hourFromMs)
            return sum.exact
        }
    }

    @inline(__always)
    static func roundUp(_ value: Int64, to increment: Int64) -> Int64 {
        (value + increment - 1) / increment * increment
    }
}
