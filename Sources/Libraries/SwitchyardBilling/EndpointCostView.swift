import SwitchyardContract

/// The two ways to look at a provisioned endpoint's cost.
///
/// *Amortised* (what `CostCalculator` puts on each record): busy time × hourly price, so a
/// request pays only for the seconds it used. *Always-on* (what the AWS bill says): every hour
/// the instances are up is paid, idle or not; spread over the invocations of a period it gives
/// the real cost per invocation, which falls as traffic grows. Comparing the two shows when a
/// warm endpoint pays off against a serverless path.
///
/// Every function throws `Billing.InvalidQuantity` for a negative count and
/// `Billing.AmountOutOfRange` when the amount leaves the pico-USD range.
public enum EndpointCostView {
    /// What `instances` instances cost while up for `uptimeMilliseconds`, rounded once to pico-USD.
    public static func alwaysOn(rate: EndpointRate, instances: Int64, uptimeMilliseconds: Int64) throws(MoneyError)
        -> PicoUSD
    {
        try uptimeCost(rate: rate, instances: instances, uptimeMilliseconds: uptimeMilliseconds).rounded()
    }

    /// The always-on cost of a period spread evenly over its invocations; nil when there were none.
    public static func alwaysOnPerInvocation(
        rate: EndpointRate, instances: Int64, uptimeMilliseconds: Int64, invocations: Int64
    ) throws(MoneyError) -> PicoUSD? {
        guard invocations > 0 else { return nil }
        let exact = try uptimeCost(rate: rate, instances: instances, uptimeMilliseconds: uptimeMilliseconds)
        // The denominator (≤ 4.6·10¹¹) × Int64 stays far inside Int128.
        return try ExactAmount(numerator: exact.numerator, denominator: exact.denominator * Int128(invocations))
            .rounded()
    }

    /// Busy-time cost of a single invocation (the amortised view).
    public static func amortised(rate: EndpointRate, busyMilliseconds: Int64) throws(MoneyError) -> PicoUSD {
        try uptimeCost(rate: rate, instances: 1, uptimeMilliseconds: busyMilliseconds).rounded()
    }

    private static func uptimeCost(rate: EndpointRate, instances: Int64, uptimeMilliseconds: Int64) throws(MoneyError)
        -> ExactAmount
    {
        guard instances >= 0 else { throw .invalidQuantity("instances is negative (\(instances))") }
        guard uptimeMilliseconds >= 0 else {
            throw .invalidQuantity("uptime or busy milliseconds is negative (\(uptimeMilliseconds))")
        }
        var sum = ExactSum()
        try sum.add(
            rate: rate.perHour, quantity: instances, times: uptimeMilliseconds,
            scale: ExactSum.Scale(divisor: 3_600_000))
        return sum.exact
    }
}
