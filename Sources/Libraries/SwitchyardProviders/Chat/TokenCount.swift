import SwitchyardContract
import SwitchyardJSON

/// Token counts read from a provider's JSON: every figure range-checked at the boundary and
/// every sum checked, so a hostile or broken provider (a count of 1e19, a negative count, input
/// plus cache reads past `Int64.max`) gets a typed `Provider.BadResponse`, never a trap.
public enum TokenCount {
    /// The largest count accepted from a provider: far above any real call (10¹²), far below
    /// what could overflow the billing arithmetic (prices are pico-USD per token).
    public static let maximum: Int64 = 1_000_000_000_000

    /// The count in `value`, nil when absent or `null`.
    /// - Throws: `Provider.BadResponse` for anything but an integer in `0...maximum`.
    static func read(_ value: JSON?, field: String, provider: ProviderID) throws(LLMError) -> Int64? {
        guard let value, value != .null else { return nil }
        guard let n = value.int64Value, (0...maximum).contains(n) else {
            throw .badResponse(provider: provider, detail: "usage.\(field) is not a token count in 0...\(maximum)")
        }
        return n
    }

    /// `a + b + …`, or `Provider.BadResponse` when the sum leaves `0...maximum`.
    static func sum(_ terms: Int64..., field: String, provider: ProviderID) throws(LLMError) -> Int64 {
        var total: Int64 = 0
        for term in terms {
            let (value, overflow) = total.addingReportingOverflow(term)
            guard !overflow, value <= maximum else {
                throw .badResponse(provider: provider, detail: "usage.\(field) sums past \(maximum) tokens")
            }
            total = value
        }
        return total
    }
}
