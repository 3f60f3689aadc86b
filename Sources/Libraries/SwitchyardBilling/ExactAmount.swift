import SwitchyardContract

/// An exact, not yet rounded amount of pico-dollars: `numerator / denominator`.
///
/// Cost components multiply a rate by quantities whose billing units do not divide evenly into
/// pico-dollars (a GB-second from MB × ms divides by 1,024,000; an hourly rate applied to
/// milliseconds divides by 3,600,000). Keeping the fraction in `Int128` and rounding once at the
/// end makes every component exact up to that single rounding, whatever order terms are added in.
public struct ExactAmount: Sendable, Hashable {
    public var numerator: Int128
    public var denominator: Int128

    public init(numerator: Int128, denominator: Int128) {
        precondition(denominator > 0, "denominator must be positive")
        self.numerator = numerator
        self.denominator = denominator
    }

    public static let zero = ExactAmount(numerator: 0, denominator: 1)

    /// Rounds to the nearest whole pico-dollar, ties to even (IEEE 754 / "banker's" rounding),
    /// so that systematic ties (e.g. exact halves from per-hour rates) do not bias sums upward.
    /// - Throws: `Billing.AmountOutOfRange` when the rounded amount does not fit in `Int64`.
    public func roundedHalfEven() throws(MoneyError) -> Int64 {
        if numerator == 0 { return 0 }
        // Fast path: both fit in 64 bits (the usual case with per-component denominators), so the
        // division is one machine instruction instead of a 128-bit library call. The quotient's
        // magnitude is below Int64.max here, so the ±1 of rounding cannot overflow.
        if let n = Int64(exactly: numerator), let d = Int64(exactly: denominator), n != .min {
            let (q, r) = n.quotientAndRemainder(dividingBy: d)
            return Self.adjust(q, twiceRemainder: 2 * r.magnitude, d.magnitude, negative: n < 0)
        }
        let (q, r) = numerator.quotientAndRemainder(dividingBy: denominator)
        let twice = 2 * r.magnitude
        let d = denominator.magnitude
        var quotient = q
        if twice > d || (twice == d && quotient & 1 != 0) { quotient += numerator < 0 ? -1 : 1 }
        guard let result = Int64(exactly: quotient) else {
            throw .outOfRange("\(numerator) / \(denominator) pico-USD")
        }
        return result
    }

    @inline(__always)
    private static func adjust(_ q: Int64, twiceRemainder twice: UInt64, _ d: UInt64, negative: Bool) -> Int64 {
        if twice > d || (twice == d && q & 1 != 0) { return q + (negative ? -1 : 1) }
        return q
    }

    /// The amount rounded once, as `PicoUSD`.
    /// - Throws: `Billing.AmountOutOfRange` when it does not fit.
    public func rounded() throws(MoneyError) -> PicoUSD { PicoUSD(try roundedHalfEven()) }
}

/// Sums exact terms `rate × quantity / divisor` over one denominator, with every product and sum
/// checked: a term or total beyond `Int128` is `Billing.AmountOutOfRange`, never a trap.
///
/// `commonDenominator` = 2¹⁷·3²·5⁸ = 460,800,000,000 is the least common multiple of every billing
/// divisor Switchyard uses — 1 (per token, image, request), 1,000,000 (per 1M), 1,024,000
/// (MB·ms → GB-s), 3,600,000 (ms → hour), 3,600,000,000 (milli-vCPU·ms → vCPU-hour) and
/// 3,686,400,000 (MB·ms → GB-hour) — so adding any terms never loses precision. A cost component
/// whose terms need fewer divisors uses a smaller denominator (their least common multiple):
/// same exact value, smaller numbers, faster rounding.
public struct ExactSum: Sendable {
    public static let commonDenominator: Int128 = 460_800_000_000
    public let denominator: Int128
    public private(set) var numerator: Int128 = 0

    public init(denominator: Int128 = ExactSum.commonDenominator) {
        self.denominator = denominator
    }

    /// Adds `rate × quantity / divisor` pico-dollars; `divisor` must divide `denominator`.
    public mutating func add(rate: PicoUSD, quantity: Int64, divisor: Int128 = 1) throws(MoneyError) {
        try add(rate: rate, quantity: quantity, scale: Scale(divisor: divisor, denominator: denominator))
    }

    /// Adds `rate × quantity / divisor` with `denominator / divisor` precomputed (no division on
    /// the hot path). The scale must have been made for this sum's denominator.
    @inline(__always)
    public mutating func add(rate: PicoUSD, quantity: Int64, scale: Scale) throws(MoneyError) {
        // |rate × quantity| < 2¹²⁶: exact in Int128; only the scale and the sum can overflow.
        try addTerm(Int128(rate.rawValue) * Int128(quantity), scale: scale)
    }

    /// Adds `rate × quantity × factor / divisor` for quantities that are products of two counts
    /// (MB × ms, milli-vCPU × ms, instances × ms), multiplied in `Int128` so no `Int64`
    /// intermediate can overflow.
    @inline(__always)
    public mutating func add(rate: PicoUSD, quantity: Int64, times factor: Int64, scale: Scale) throws(MoneyError) {
        let (product, overflow) = (Int128(rate.rawValue) * Int128(quantity)).multipliedReportingOverflow(
            by: Int128(factor))
        if overflow { throw .outOfRange("\(rate.rawValue) × \(quantity) × \(factor) pico-USD") }
        try addTerm(product, scale: scale)
    }

    @inline(__always)
    private mutating func addTerm(_ product: Int128, scale: Scale) throws(MoneyError) {
        let (term, o1) = product.multipliedReportingOverflow(by: scale.factor)
        let (sum, o2) = numerator.addingReportingOverflow(term)
        if o1 || o2 { throw .outOfRange("\(product) / \(denominator / scale.factor) pico-USD (sum of terms)") }
        numerator = sum
    }

    /// `denominator / divisor`, computed once.
    public struct Scale: Sendable {
        public let factor: Int128

        public init(divisor: Int128, denominator: Int128 = ExactSum.commonDenominator) {
            precondition(divisor > 0 && denominator % divisor == 0, "divisor must divide the denominator")
            factor = denominator / divisor
        }
    }

    public var exact: ExactAmount { ExactAmount(numerator: numerator, denominator: denominator) }
    public var isZero: Bool { numerator == 0 }
}
