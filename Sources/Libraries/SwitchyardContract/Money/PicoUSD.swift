import SwitchyardCore

/// An amount of US dollars as an integer count of pico-dollars (1 pico-USD = 10⁻¹² USD): the one
/// money unit of every event, decision, usage record and report.
///
/// Why pico: every published rate Switchyard bills with has at most twelve decimal places when
/// written in dollars per unit — $5 per 1M tokens is 5,000,000 pico-USD per token, Lambda's
/// $0.0000166667 per GB-second is 16,666,700 pico-USD — so rates are stored exactly, with no
/// floating point anywhere. `Int64` holds up to about $9.2 million: far beyond one request's cost
/// or one tenant's month, yet reachable by hostile token counts, so every arithmetic operation on
/// amounts derived from outside input is checked (`adding(_:)`, `multiplied(by:)`) and fails
/// with `Billing.AmountOutOfRange` instead of trapping.
public struct PicoUSD: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: Int64

    public init(_ rawValue: Int64) { self.rawValue = rawValue }

    public static let zero = PicoUSD(0)
    public static let perMicroUSD: Int64 = 1_000_000
    public static let perUSD: Int64 = 1_000_000_000_000

    /// Whole micro-dollars as pico-dollars; fails for amounts beyond the range.
    public static func microUSD(_ micro: Int64) throws(MoneyError) -> PicoUSD {
        let (value, overflow) = micro.multipliedReportingOverflow(by: perMicroUSD)
        if overflow { throw .outOfRange("\(micro) micro-USD") }
        return PicoUSD(value)
    }

    /// `self + other`, or `Billing.AmountOutOfRange`.
    public func adding(_ other: PicoUSD) throws(MoneyError) -> PicoUSD {
        let (value, overflow) = rawValue.addingReportingOverflow(other.rawValue)
        if overflow { throw .outOfRange("\(self) + \(other)") }
        return PicoUSD(value)
    }

    /// `self - other`, or `Billing.AmountOutOfRange`.
    public func subtracting(_ other: PicoUSD) throws(MoneyError) -> PicoUSD {
        let (value, overflow) = rawValue.subtractingReportingOverflow(other.rawValue)
        if overflow { throw .outOfRange("\(self) - \(other)") }
        return PicoUSD(value)
    }

    /// `self × factor`, or `Billing.AmountOutOfRange`.
    public func multiplied(by factor: Int64) throws(MoneyError) -> PicoUSD {
        let (value, overflow) = rawValue.multipliedReportingOverflow(by: factor)
        if overflow { throw .outOfRange("\(self) × \(factor)") }
        return PicoUSD(value)
    }

    /// Sum of amounts, or `Billing.AmountOutOfRange`.
    public static func sum(_ amounts: some Sequence<PicoUSD>) throws(MoneyError) -> PicoUSD {
        var total = PicoUSD.zero
        for amount in amounts { total = try total.adding(amount) }
        return total
    }

    public static func < (lhs: PicoUSD, rhs: PicoUSD) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The amount in whole micro-dollars, rounded half to even (for displays kept in µUSD).
    public var microUSDRounded: Int64 {
        let (q, r) = rawValue.quotientAndRemainder(dividingBy: Self.perMicroUSD)
        let twice = 2 * r.magnitude
        let d = UInt64(Self.perMicroUSD)
        if twice > d || (twice == d && q & 1 != 0) { return q + (rawValue < 0 ? -1 : 1) }
        return q
    }

    /// Exact decimal dollars, e.g. `"0.000208334"`; trailing zeros beyond two decimals are dropped.
    public var description: String {
        let negative = rawValue < 0
        let magnitude = rawValue.magnitude
        let whole = magnitude / UInt64(Self.perUSD)
        var fraction = String(magnitude % UInt64(Self.perUSD))
        fraction = String(repeating: "0", count: 12 - fraction.count) + fraction
        while fraction.count > 2, fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }

    /// Parses a decimal dollar string such as `"0.0000166667"` or `"5"` exactly.
    ///
    /// - Returns: nil for anything but `[-]digits[.digits]` with at most twelve fraction digits
    ///   (a rate that needs more precision cannot be represented exactly, so it is refused rather
    ///   than rounded) or a value beyond the `Int64` range.
    public init?(decimal text: String) {
        var utf8 = Substring(text).utf8[...]
        var negative = false
        if utf8.first == UInt8(ascii: "-") {
            negative = true
            utf8 = utf8.dropFirst()
        }
        guard !utf8.isEmpty, utf8.count <= 40 else { return nil }
        var whole: Int64 = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var digits = 0
        for byte in utf8 {
            if byte == UInt8(ascii: ".") {
                guard !seenPoint else { return nil }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            let digit = Int64(byte - UInt8(ascii: "0"))
            digits += 1
            if seenPoint {
                fractionDigits += 1
                guard fractionDigits <= 12 else { return nil }
                fraction = fraction * 10 + digit
            } else {
                let (w, overflow) = whole.multipliedReportingOverflow(by: 10)
                guard !overflow, w <= Int64.max - digit else { return nil }
                whole = w + digit
            }
        }
        guard digits > 0 else { return nil }
        for _ in fractionDigits..<12 { fraction *= 10 }
        let (scaled, overflow) = whole.multipliedReportingOverflow(by: Self.perUSD)
        guard !overflow, scaled <= Int64.max - fraction else { return nil }
        rawValue = (scaled + fraction) * (negative ? -1 : 1)
    }

    /// Encoded as a plain JSON integer of pico-dollars (fields are named `…PicoUSD`).
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// Money arithmetic that left the representable range, or a quantity no bill can have: a typed
/// error, never a trap.
public enum MoneyError: FunctionError, Equatable {
    /// `Billing.AmountOutOfRange`: an amount (or an intermediate product) beyond what pico-USD
    /// in `Int64` holds.
    case outOfRange(String)
    /// `Billing.InvalidQuantity`: a quantity to be priced is negative (tokens, images, memory,
    /// durations, requests are counts, never credits).
    case invalidQuantity(String)

    public var errorType: String {
        switch self {
        case .outOfRange: "Billing.AmountOutOfRange"
        case .invalidQuantity: "Billing.InvalidQuantity"
        }
    }
    public var errorMessage: String {
        switch self {
        case .outOfRange(let what): "amount out of range (beyond ±$9.2M in pico-USD): \(what.prefix(200))"
        case .invalidQuantity(let what): "invalid billing quantity: \(what.prefix(200))"
        }
    }
}
