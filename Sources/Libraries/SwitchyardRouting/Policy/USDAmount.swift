import SwitchyardContract

/// Money in the policy file: decimal US-dollar strings (`"5.00"`, `"0.0025"`), as in
/// `infra/rates.json`, parsed exactly into `PicoUSD` (at most twelve fraction digits; anything
/// that would need rounding is refused, never rounded).
public enum USDAmount {
    /// `amount.description` — exact decimal dollars, trailing zeros beyond two decimals dropped
    /// (`0.00005225`, `5.00`) — written into one buffer: the candidate report formats amounts per
    /// model, and the general form's string slicing costs more than the rest of a decision.
    public static func text(_ amount: PicoUSD) -> String {
        let magnitude = amount.rawValue.magnitude
        var whole = magnitude / 1_000_000_000_000
        let fraction = magnitude % 1_000_000_000_000
        return String(unsafeUninitializedCapacity: 36) { buffer in
            var n = 0
            if amount.rawValue < 0 {
                buffer[n] = UInt8(ascii: "-")
                n += 1
            }
            // Whole dollars, most significant digit first (at most 7 digits for Int64 pico-USD).
            var reversed: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) = (0, 0, 0, 0, 0, 0, 0, 0)
            var count = 0
            withUnsafeMutableBytes(of: &reversed) { digits in
                repeat {
                    digits[count] = UInt8(ascii: "0") + UInt8(whole % 10)
                    whole /= 10
                    count += 1
                } while whole > 0
                for i in stride(from: count - 1, through: 0, by: -1) {
                    buffer[n] = digits[i]
                    n += 1
                }
            }
            buffer[n] = UInt8(ascii: ".")
            n += 1
            // Twelve fraction digits, then drop trailing zeros down to two.
            var divisor: UInt64 = 100_000_000_000
            var last = n + 1
            for _ in 0..<12 {
                let digit = UInt8((fraction / divisor) % 10)
                buffer[n] = UInt8(ascii: "0") + digit
                n += 1
                if digit != 0 { last = max(last, n - 1) }
                divisor /= 10
            }
            return last + 1
        }
    }
}
