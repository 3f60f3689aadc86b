import SwitchyardCore

/// Builds one JSON line by appending bytes: constant fragments, digits and escaped strings.
struct JSONLine {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1024) }

    mutating func raw(_ fragment: [UInt8]) { bytes += fragment }

    /// `name` is the fragment `,"name":"` (quote opened); the value is escaped and the quote closed.
    mutating func member(_ name: [UInt8], _ value: String) {
        bytes += name
        var value = value
        value.withUTF8 { utf8 in
            // Fast path: nothing to escape (request ids, names, outcomes).
            if !utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0xE2 }) {
                bytes.append(contentsOf: utf8)
                return
            }
            var i = 0
            while i < utf8.count {
                let byte = utf8[i]
                switch byte {
                case 0x22: bytes += [0x5C, 0x22]
                case 0x5C: bytes += [0x5C, 0x5C]
                case 0x0A: bytes += [0x5C, UInt8(ascii: "n")]
                case 0x0D: bytes += [0x5C, UInt8(ascii: "r")]
                case 0x09: bytes += [0x5C, UInt8(ascii: "t")]
                case 0x00..<0x20: unicodeEscape(UInt32(byte))
                // U+2028 and U+2029 (E2 80 A8/A9) end lines for some JSON readers.
                case 0xE2 where i + 2 < utf8.count && utf8[i + 1] == 0x80 && (utf8[i + 2] | 1) == 0xA9:
                    unicodeEscape(utf8[i + 2] == 0xA8 ? 0x2028 : 0x2029)
                    i += 2
                default: bytes.append(byte)
                }
                i += 1
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func unicodeEscape(_ value: UInt32) {
        bytes += [0x5C, UInt8(ascii: "u")]
        for shift in stride(from: 12, through: 0, by: -4) {
            bytes.append(Self.hex[Int((value >> UInt32(shift)) & 0xF)])
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// Decimal digits of `value`.
    mutating func integer(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            // Int64.min has no positive counterpart; the line never holds one.
            integer(value == .min ? .max : -value)
            return
        }
        var digits:
            (
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8
            ) =
                (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[19 - count] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
                count += 1
            } while rest > 0
            bytes.append(contentsOf: buffer[(20 - count)...])
        }
    }

    /// `integer` zero-padded to `width` digits.
    mutating func padded(_ value: Int64, width: Int) {
        var limit: Int64 = 10
        for _ in 1..<width {
            if value < limit { bytes.append(UInt8(ascii: "0")) }
            limit *= 10
        }
        integer(value)
    }

    /// Milliseconds with three decimals (microsecond resolution), e.g. `12.345`.
    mutating func milliseconds(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let micros = max(0, seconds &* 1_000_000 &+ attoseconds / 1_000_000_000_000)
        integer(micros / 1000)
        bytes.append(UInt8(ascii: "."))
        padded(micros % 1000, width: 3)
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-25T12:00:00.123Z` (as `WallClock.iso8601`).
    mutating func timestamp(milliseconds: Int64) {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        padded(Int64(parts.tm_year) + 1900, width: 4)
        bytes.append(UInt8(ascii: "-"))
        padded(Int64(parts.tm_mon) + 1, width: 2)
        bytes.append(UInt8(ascii: "-"))
        padded(Int64(parts.tm_mday), width: 2)
        bytes.append(UInt8(ascii: "T"))
        padded(Int64(parts.tm_hour), width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(Int64(parts.tm_min), width: 2)
        bytes.append(UInt8(ascii: ":"))
        padded(Int64(parts.tm_sec), width: 2)
        bytes.append(UInt8(ascii: "."))
        padded(milliseconds % 1000, width: 3)
        bytes.append(UInt8(ascii: "Z"))
    }
}

/// One `write(2)` of a whole line to standard error, retried on EINTR and short writes, so lines
/// from concurrent writers never interleave and nothing is buffered when the process freezes.
func writeLine(_ line: [UInt8]) {
    line.withUnsafeBytes { bytes in
        var offset = 0
        while offset < bytes.count {
            let n = write(2, bytes.baseAddress! + offset, bytes.count - offset)
            if n < 0 { if errno == EINTR { continue } else { return } }
            offset += n
        }
    }
}
