/// An IPv4 or IPv6 address parsed from text in every spelling a resolver or libcurl accepts, so
/// that an address check cannot be bypassed by an unusual spelling.
///
/// IPv4 follows `inet_aton`: one to four parts, each decimal, octal (leading `0`) or hex (`0x`),
/// the last part filling the remaining bytes (`127.1`, `0177.0.0.1`, `0x7f.0.0.1`, `2130706433`
/// are all 127.0.0.1). IPv6 accepts `::` compression, an embedded dotted IPv4 tail, brackets and a
/// zone suffix (`[fe80::1%eth0]`).
public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(UInt32)
    case v6([UInt8])

    /// Parses `text`; nil when it is not an address literal (a DNS name, say).
    public init?(_ text: String) {
        var host = Substring(text)
        if host.hasPrefix("[") && host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        if let percent = host.firstIndex(of: "%") { host = host[..<percent] }
        guard !host.isEmpty, host.utf8.count <= 64 else { return nil }
        if host.contains(":") {
            guard let bytes = Self.parseV6(host) else { return nil }
            self = .v6(bytes)
        } else {
            guard let value = Self.parseV4(host) else { return nil }
            self = .v4(value)
        }
    }

    public var description: String {
        switch self {
        case .v4(let v): "\(v >> 24).\(v >> 16 & 0xFF).\(v >> 8 & 0xFF).\(v & 0xFF)"
        case .v6(let b):
            stride(from: 0, to: 16, by: 2).map { String(UInt16(b[$0]) << 8 | UInt16(b[$0 + 1]), radix: 16) }
                .joinedText(separator: ":")
        }
    }

    /// The IPv4 address an IPv6 address carries (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
    /// `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`, 6to4 `2002:aabb:ccdd::`), or nil.
    public var embeddedV4: UInt32? {
        guard case .v6(let b) = self else { return nil }
        func v4(at i: Int) -> UInt32 {
            UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
        }
        let first10Zero = b[0..<10].allSatisfy { $0 == 0 }
        if first10Zero && b[10] == 0xFF && b[11] == 0xFF { return v4(at: 12) }
        if first10Zero && b[10] == 0 && b[11] == 0 && !b[12..<16].allSatisfy({ $0 == 0 })
            && !(b[12..<15].allSatisfy { $0 == 0 } && b[15] == 1)
        {
            return v4(at: 12)
        }
        if b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && b[4..<12].allSatisfy({ $0 == 0 }) {
            return v4(at: 12)
        }
        if b[0] == 0x20 && b[1] == 0x02 { return v4(at: 2) }
        return nil
    }

    /// False for loopback, private, link-local (the instance metadata service among them),
    /// carrier-grade NAT, unspecified, multicast, broadcast, documentation and reserved ranges,
    /// and for IPv6 addresses that embed such an IPv4 address: everything a request from outside
    /// must never make a function connect to.
    public var isPublic: Bool {
        switch self {
        case .v4(let v): return Self.isPublicV4(v)
        case .v6(let b):
            if let v4 = embeddedV4 { return Self.isPublicV4(v4) }
            if b.allSatisfy({ $0 == 0 }) { return false }  // ::
            if b[0..<15].allSatisfy({ $0 == 0 }) && b[15] == 1 { return false }  // ::1
            if b[0] & 0xFE == 0xFC { return false }  // fc00::/7 unique local
            if b[0] == 0xFE && b[1] & 0xC0 == 0x80 { return false }  // fe80::/10 link-local
            if b[0] == 0xFE && b[1] & 0xC0 == 0xC0 { return false }  // fec0::/10 site-local
            if b[0] == 0xFF { return false }  // multicast
            if b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0D && b[3] == 0xB8 { return false }  // documentation
            if b[0] == 0x01 && b[1..<8].allSatisfy({ $0 == 0 }) { return false }  // 100::/64 discard
            if b[0] == 0 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B { return false }  // 64:ff9b:1::/48 local NAT64
            return true
        }
    }

    static func isPublicV4(_ v: UInt32) -> Bool {
        let a = v >> 24
        let b = v >> 16 & 0xFF
        let c = v >> 8 & 0xFF
        switch a {
        case 0, 10, 127: return false
        case 100 where (64...127).contains(b): return false
        case 169 where b == 254: return false
        case 172 where (16...31).contains(b): return false
        case 192 where b == 168: return false
        case 192 where b == 0 && (c == 0 || c == 2): return false
        case 198 where b == 18 || b == 19: return false
        case 198 where b == 51 && c == 100: return false
        case 203 where b == 0 && c == 113: return false
        case 224...255: return false
        default: return true
        }
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { return nil }
        var values: [UInt64] = []
        for part in parts {
            guard let value = parseV4Part(part) else { return nil }
            values.append(value)
        }
        var result: UInt64 = 0
        for (i, value) in values.enumerated() {
            if i == values.count - 1 {
                let remainingBytes = 4 - i
                guard value < (UInt64(1) << (8 * UInt64(remainingBytes))) else { return nil }
                result = result << (8 * UInt64(remainingBytes)) | value
            } else {
                guard value <= 0xFF else { return nil }
                result = result << 8 | value
            }
        }
        return UInt32(result)
    }

    static func parseV4Part(_ part: Substring) -> UInt64? {
        guard !part.isEmpty, part.utf8.count <= 12 else { return nil }
        var digits = part
        var radix: UInt64 = 10
        if digits.lowercased().hasPrefix("0x") {
            radix = 16
            digits = digits.dropFirst(2)
            if digits.isEmpty { return 0 }
        } else if digits.count > 1 && digits.hasPrefix("0") {
            radix = 8
            digits = digits.dropFirst()
        }
        var value: UInt64 = 0
        for ch in digits.lowercased().unicodeScalars {
            let d: UInt64
            switch ch {
            case "0"..."9": d = UInt64(ch.value - 48)
            case "a"..."f": d = UInt64(ch.value - 87)
            default: return nil
            }
            guard d < radix else { return nil }
            value = value * radix + d
            guard value <= UInt64(UInt32.max) else { return nil }
        }
        return value
    }

    static func parseV6(_ text: Substring) -> [UInt8]? {
        var head: [UInt16] = []
        var tail: [UInt16] = []
        var sawGap = false
        var rest = text
        if rest.hasPrefix("::") {
            sawGap = true
            rest = rest.dropFirst(2)
        }
        if rest.hasSuffix("::") && !rest.isEmpty {
            guard !sawGap else { return nil }
            sawGap = true
            rest = rest.dropLast(2)
        }
        let groups = rest.isEmpty ? [] : rest.split(separator: ":", omittingEmptySubsequences: false)
        var groupsAfterGap = false
        for (i, group) in groups.enumerated() {
            if group.isEmpty {
                guard !sawGap else { return nil }
                sawGap = true
                groupsAfterGap = true
                continue
            }
            var words: [UInt16]
            if group.contains(".") {
                guard i == groups.count - 1, let v4 = parseDottedQuad(group) else { return nil }
                words = [UInt16(v4 >> 16), UInt16(v4 & 0xFFFF)]
            } else {
                guard group.utf8.count <= 4, let word = UInt16(group, radix: 16) else { return nil }
                words = [word]
            }
            let afterGap = groupsAfterGap || (sawGap && text.hasPrefix("::"))
            if afterGap { tail += words } else { head += words }
        }
        let total = head.count + tail.count
        if sawGap {
            guard total <= 7 else { return nil }
        } else {
            guard total == 8 else { return nil }
        }
        let words = head + Array(repeating: 0, count: 8 - total) + tail
        return words.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xFF)] }
    }

    /// Strict dotted quad (inside IPv6 only four decimal parts are valid).
    static func parseDottedQuad(_ text: Substring) -> UInt32? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for part in parts {
            guard (1...3).contains(part.count), let byte = UInt8(part) else { return nil }
            value = value << 8 | UInt32(byte)
        }
        return value
    }
}
