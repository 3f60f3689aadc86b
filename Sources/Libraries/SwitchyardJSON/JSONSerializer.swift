extension JSON {
    /// Compact UTF-8 serialization (no insignificant whitespace), members in stored order.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(to: &out)
        return out
    }

    /// The same as `serialized()`, as a `String`.
    public var serializedString: String { String(decoding: serialized(), as: UTF8.self) }

    public func write(to out: inout [UInt8]) {
        switch self {
        case .null: out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        case .bool(true): out.append(contentsOf: [0x74, 0x72, 0x75, 0x65])
        case .bool(false): out.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65])
        case .integer(let i): JSON.writeInteger(i, to: &out)
        case .double(let d): JSON.writeDouble(d, to: &out)
        case .string(let s): JSON.writeString(s, to: &out)
        case .array(let elements):
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let object):
            out.append(UInt8(ascii: "{"))
            for (i, member) in object.members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    static func writeInteger(_ value: Int64, to out: inout [UInt8]) {
        if value == 0 {
            out.append(UInt8(ascii: "0"))
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, enough for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { scratch in
            while magnitude > 0 {
                scratch[count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
                count += 1
            }
            if value < 0 { out.append(UInt8(ascii: "-")) }
            while count > 0 {
                count -= 1
                out.append(scratch[count])
            }
        }
    }

    static func writeDouble(_ value: Double, to out: inout [UInt8]) {
        // JSON has no NaN or infinity; the encoder rejects them before we get here, a hand-built
        // value degrades to null rather than emitting invalid JSON.
        guard value.isFinite else {
            out.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
            return
        }
        if value.rounded() == value, abs(value) < 1e15 {
            writeInteger(Int64(value), to: &out)
            return
        }
        // Swift's description is the shortest representation that round-trips, e.g. "0.1", "1e-05".
        out.append(contentsOf: value.description.utf8)
    }

    /// Quotes and escapes `string`: `"` and `\\` and the control characters, by their short escape
    /// where JSON has one and `\\u00XX` otherwise; everything else (UTF-8 included) as it is. Runs
    /// without an escape are found eight bytes at a time (the parser's word test) and copied whole; a
    /// word that holds one is read a byte at a time, once (JSON inside a JSON string, a quote every
    /// few bytes, costs one word test per eight bytes over the byte loop).
    static func writeString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            guard let base = utf8.baseAddress else { return }
            let count = utf8.count
            var runStart = 0
            var i = 0
            while i < count {
                let end: Int
                if count &- i >= 8 {
                    guard JSONParser.needsAttention(UnsafeRawPointer(base + i).loadUnaligned(as: UInt64.self)) else {
                        i &+= 8
                        continue
                    }
                    end = i &+ 8
                } else {
                    end = count
                }
                while i < end {
                    let b = base[i]
                    if b < 0x20 || b == 0x22 || b == 0x5C {
                        if runStart < i {
                            out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: i &- runStart))
                        }
                        runStart = i &+ 1
                        appendEscape(b, to: &out)
                    }
                    i &+= 1
                }
            }
            if runStart < count {
                out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count &- runStart))
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendEscape(_ b: UInt8, to out: inout [UInt8]) {
        switch b {
        case 0x22: out.append(contentsOf: [0x5C, 0x22])
        case 0x5C: out.append(contentsOf: [0x5C, 0x5C])
        case 0x0A: out.append(contentsOf: [0x5C, UInt8(ascii: "n")])
        case 0x0D: out.append(contentsOf: [0x5C, UInt8(ascii: "r")])
        case 0x09: out.append(contentsOf: [0x5C, UInt8(ascii: "t")])
        default:
            let hex: StaticString = "0123456789abcdef"
            let digits = hex.utf8Start
            out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, digits[Int(b >> 4)], digits[Int(b & 0xF)]])
        }
    }
}
