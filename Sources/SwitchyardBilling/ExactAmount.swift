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
    public func roundedHalfEven() -> Int64 {
        var quotient = numerator / denominator
        let remainder = numerator % denominator
        let twice = 2 * remainder.magnitude
        let d = denominator.magnitude
        if twice > d || (twice == d && quotient & 1 != 0) {
            quotient += numerator < 0 ? -1 : 1
        }
        return Int64(quotient)
    }

    /// The amount rounded once, as `PicoUSD`.
    public func rounded() -> PicoUSD { PicoUSD(roundedHalfEven()) }
}

/// Sums exact terms over one common denominator.
///
/// `commonDenominator` = 2¹⁷·3²·5⁸ = 460,800,000,000 is the least common multiple of every billing
/// divisor Switchyard uses — 1 (per token, image, request), 1,024,000 (MB·ms → GB-s),
/// 3,600,000 (ms → hour), 3,600,000,000 (milli-vCPU·ms → vCPU-hour) and 3,686,400,000
/// (MB·ms → GB-hour) — so adding terms never loses precision.
public struct ExactSum: Sendable {
    public static let commonDenominator: Int128 = 460_800_000_000
    public private(set) var numerator: Int128 = 0

    public init() {}

    /// Adds `rate × quantity / divisor` pico-dollars; `divisor` must divide `commonDenominator`.
    @inline(__always)
    public mutating func add(rate: PicoUSD, quantity: Int64, divisor: Int128 = 1) {
        numerator += Int128(rate.rawValue) * Int128(quantity) * (Self.commonDenominator / divisor)
    }

    public var exact: ExactAmount { ExactAmount(numerator: numerator, denominator: Self.commonDenominator) }
    public var isZero: Bool { numerator == 0 }
}
