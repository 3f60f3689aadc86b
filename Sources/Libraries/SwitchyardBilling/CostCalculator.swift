import SwitchyardContract

/// Prices a `BillableUsage` against a `RatesTable`. Pure and allocation-free on the hot path;
/// every product and sum is checked, so hostile quantities fail with a typed error, never a trap.
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

    /// Prices one step.
    /// - Throws: `Billing.InvalidQuantity` for a negative quantity; `Billing.AmountOutOfRange`
    ///   when a component leaves the `Int64` pico-USD range (hostile token counts, durations).
    public func cost(of usage: BillableUsage) throws(MoneyError) -> CostBreakdown {
        try Self.checkQuantities(usage)
        var unpriced: UnpricedParts = []
        var model = ExactSum(denominator: Unit.model)
        if let id = usage.model {
            if let rate = rates.model(id, at: usage.timestamp) {
                try addModelCharges(rate, usage, into: &model)
            } else {
                unpriced.insert(.model)
            }
        }
        var compute = ExactAmount.zero
        if let usageOfCompute = usage.compute {
            if let amount = try computeCharges(usageOfCompute, at: usage.timestamp) {
                compute = amount
            } else {
                unpriced.insert(.compute)
            }
        }
        var orchestration = ExactSum(denominator: Unit.gbSecond)
        if let run = usage.orchestration {
            if let rate = rates.expressWorkflow(at: usage.timestamp) {
                let memory = try Self.roundUp(max(run.memoryMB, 1), to: rate.memoryIncrementMB)
                let duration = try Self.roundUp(
                    max(run.durationMilliseconds, 1), to: rate.durationIncrementMilliseconds)
                try orchestration.add(
                    rate: rate.perMillionRequests, quantity: run.requests, scale: Unit.gbSecondPerMillion)
                try orchestration.add(
                    rate: rate.perGBSecond, quantity: memory, times: duration, scale: Unit.gbSecondFromMBms)
            } else {
                unpriced.insert(.orchestration)
            }
        }
        return CostBreakdown(
            model: try model.exact.rounded(), compute: try compute.rounded(),
            orchestration: try orchestration.exact.rounded(), unpriced: unpriced, rateVersion: rates.version)
    }

    /// Every quantity is a count: negative ones are refused before any arithmetic.
    @inline(__always)
    static func checkQuantities(_ usage: BillableUsage) throws(MoneyError) {
        func nonNegative(_ value: Int64, _ field: @autoclosure () -> String) throws(MoneyError) {
            if value < 0 { throw .invalidQuantity("\(field()) is negative (\(value))") }
        }
        let tokens = usage.tokens
        try nonNegative(tokens.input, "tokens.input")
        try nonNegative(tokens.cachedInput, "tokens.cachedInput")
        try nonNegative(tokens.cacheWrite, "tokens.cacheWrite")
        try nonNegative(tokens.output, "tokens.output")
        try nonNegative(tokens.reasoning, "tokens.reasoning")
        try nonNegative(usage.images, "images")
        switch usage.compute {
        case .lambda(_, let memoryMB, let duration, let requests):
            try nonNegative(memoryMB, "compute.memoryMB")
            try nonNegative(duration, "compute.durationMilliseconds")
            try nonNegative(requests, "compute.requests")
        case .fargate(_, let milliVCPU, let memoryMB, let duration):
            try nonNegative(milliVCPU, "compute.milliVCPU")
            try nonNegative(memoryMB, "compute.memoryMB")
            try nonNegative(duration, "compute.durationMilliseconds")
        case .endpoint(_, let duration):
            try nonNegative(duration, "compute.durationMilliseconds")
        case nil:
            break
        }
        if let run = usage.orchestration {
            try nonNegative(run.memoryMB, "orchestration.memoryMB")
            try nonNegative(run.durationMilliseconds, "orchestration.durationMilliseconds")
            try nonNegative(run.requests, "orchestration.requests")
        }
    }

    @inline(__always)
    private func addModelCharges(_ rate: ModelRate, _ usage: BillableUsage, into sum: inout ExactSum)
        throws(MoneyError)
    {
        let tokens = usage.tokens
        // Fresh input = input - cache reads - cache writes (validation keeps both within input;
        // here they are clamped so that no part is counted twice). All three are ≥ 0.
        let cached = min(tokens.cachedInput, tokens.input)
        let written = min(tokens.cacheWrite, tokens.input - cached)
        try sum.add(
            rate: rate.inputPerMillionTokens, quantity: tokens.input - cached - written, scale: Unit.modelPerMillion)
        try sum.add(
            rate: rate.cachedInputPerMillionTokens ?? rate.inputPerMillionTokens, quantity: cached,
            scale: Unit.modelPerMillion)
        try sum.add(
            rate: rate.cacheWritePerMillionTokens ?? rate.inputPerMillionTokens, quantity: written,
            scale: Unit.modelPerMillion)
        try sum.add(rate: rate.outputPerMillionTokens, quantity: tokens.output, scale: Unit.modelPerMillion)
        try sum.add(rate: rate.perImage, quantity: usage.images, scale: Unit.modelEach)
    }

    /// - Returns: nil when no rate covers this compute.
    @inline(__always)
    private func computeCharges(_ compute: ComputeUsage, at time: Int64) throws(MoneyError) -> ExactAmount? {
        switch compute {
        case .lambda(let architecture, let memoryMB, let duration, let requests):
            guard let rate = rates.lambda(architecture, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.gbSecond)
            try sum.add(rate: rate.perMillionRequests, quantity: requests, scale: Unit.gbSecondPerMillion)
            try sum.add(rate: rate.perGBSecond, quantity: memoryMB, times: duration, scale: Unit.gbSecondFromMBms)
            return sum.exact
        case .fargate(let architecture, let milliVCPU, let memoryMB, let duration):
            guard let rate = rates.fargate(architecture, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.fargate)
            try sum.add(
                rate: rate.perVCPUHour, quantity: milliVCPU, times: duration, scale: Unit.vcpuHourFromMilliVCPUms)
            try sum.add(rate: rate.perGBHour, quantity: memoryMB, times: duration, scale: Unit.gbHourFromMBms)
            return sum.exact
        case .endpoint(let instanceType, let duration):
            guard let rate = rates.endpoint(instanceType, at: time) else { return nil }
            var sum = ExactSum(denominator: Unit.hour)
            try sum.add(rate: rate.perHour, quantity: duration, scale: Unit.hourFromMs)
            return sum.exact
        }
    }

    /// `value` rounded up to a multiple of `increment` (both > 0), or `Billing.AmountOutOfRange`.
    @inline(__always)
    static func roundUp(_ value: Int64, to increment: Int64) throws(MoneyError) -> Int64 {
        let (quotient, remainder) = value.quotientAndRemainder(dividingBy: increment)
        if remainder == 0 { return value }
        // quotient + 1 ≤ Int64.max / increment + 1 cannot overflow; the product can.
        let (rounded, overflow) = (quotient + 1).multipliedReportingOverflow(by: increment)
        if overflow { throw .outOfRange("\(value) rounded up to a multiple of \(increment)") }
        return rounded
    }
}
