/// Base64 (RFC 4648) without Foundation, for images and other binary payloads that travel
/// inside JSON events.
///
/// Encoding writes the standard alphabet with padding (or the URL-safe alphabet without).
/// Decoding accepts either alphabet, optional padding, and ASCII whitespace (MIME line breaks);
/// anything else is an error with the offset of the offending byte. Both directions work on
/// contiguous buffers through lookup tables, so a multi-megabyte image costs a few milliseconds.
public enum Base64 {
    public enum Alphabet: Sendable {
        /// `A–Z a–z 0–9 + /` with `=` padding.
        case standard
        /// `A–Z a–z 0–9 - _` without padding (RFC 4648 §5).
        case urlSafe
    }

    /// The encoded length for `count` input bytes.
    public static func encodedCount(_ count: Int, alphabet: Alphabet = .standard) -> Int {
        switch alphabet {
        case .standard: return (count + 2) / 3 * 4
        case .urlSafe: return count / 3 * 4 + [0, 2, 3][count % 3]
        }
    }

    /// Encodes `bytes` to base64 text.
    public static func encode(_ bytes: some Sequence<UInt8>, alphabet: Alphabet = .standard) -> String {
        let encoded = encodeToBytes(bytes, alphabet: alphabet)
        return String(unsafeUninitializedCapacity: encoded.count) { buffer in
            _ = buffer.initialize(from: encoded)
            return encoded.count
        }
    }

    /// Encodes `bytes` to base64 as ASCII bytes (for writing straight into a JSON or HTTP body).
    public static func encodeToBytes(_ bytes: some Sequence<UInt8>, alphabet: Alphabet = .standard) -> [UInt8] {
        if let result = bytes.withContiguousStorageIfAvailable({ encode(buffer: $0, alphabet: alphabet) }) {
            return result
        }
        return Array(bytes).withUnsafeBufferPointer { encode(buffer: $0, alphabet: alphabet) }
    }

    private static func encode(buffer input: UnsafeBufferPointer<UInt8>, alphabet: Alphabet) -> [UInt8] {
        let outputCount = encodedCount(input.count, alphabet: alphabet)
        let table = alphabet == .standard ? standardTable : urlSafeTable
        return [UInt8](unsafeUninitializedCapacity: outputCount) { output, initialized in
            table.withUnsafeBufferPointer { table in
                var i = 0
                var o = 0
                let whole = input.count - input.count % 3
                while i < whole {
                    let chunk = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    output[o] = table[Int(chunk >> 18)]
                    output[o + 1] = table[Int(chunk >> 12 & 0x3F)]
                    output[o + 2] = table[Int(chunk >> 6 & 0x3F)]
                    output[o + 3] = table[Int(chunk & 0x3F)]
                    i += 3
                    o += 4
                }
                let rest = input.count - whole
                if rest > 0 {
                    let b0 = UInt32(input[i])
                    let b1 = rest == 2 ? UInt32(input[i + 1]) : 0
                    let chunk = b0 << 16 | b1 << 8
                    output[o] = table[Int(chunk >> 18)]
                    output[o + 1] = table[Int(chunk >> 12 & 0x3F)]
                    o += 2
                    if rest == 2 {
                        output[o] = table[Int(chunk >> 6 & 0x3F)]
                        o += 1
                    }
                    if alphabet == .standard {
                        while o % 4 != 0 {
                            output[o] = UInt8(ascii: "=")
                            o += 1
                        }
                    }
                }
                initialized = o
            }
        }
    }

    /// Decodes base64 text (either alphabet, padding optional, whitespace ignored).
    /// - Throws: `Base64Error` naming the first invalid byte's offset.
    public static func decode(_ text: String) throws(Base64Error) -> [UInt8] {
        var text = text
        // The stdlib's pointer accessors rethrow untyped errors, so the outcome travels as a Result.
        return try text.withUTF8 { utf8 in Result { () throws(Base64Error) -> [UInt8] in try decode(buffer: utf8) } }
            .get()
    }

    /// Decodes base64 given as ASCII bytes.
    public static func decode(_ bytes: some Collection<UInt8>) throws(Base64Error) -> [UInt8] {
        let result: Result<[UInt8], Base64Error>? = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(Base64Error) -> [UInt8] in try decode(buffer: buffer) }
        }
        if let result { return try result.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(Base64Error) -> [UInt8] in try decode(buffer: buffer) }
        }.get()
    }

    /// Decodes from a raw buffer: runs of alphabet bytes go four at a time; padding and whitespace
    /// take a byte-wise path only where they occur.
    public static func decode(buffer input: UnsafeBufferPointer<UInt8>) throws(Base64Error) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count / 4 * 3 + 3)
        let written = try output.withUnsafeMutableBufferPointer { (output) throws(Base64Error) -> Int in
            try decodeTable.withUnsafeBufferPointer { (table) throws(Base64Error) -> Int in
                var i = 0
                var o = 0
                let n = input.count
                var quad: UInt32 = 0
                var have = 0
                var padding = 0
                while i < n {
                    if have == 0 && padding == 0 {
                        // Fast path: four alphabet bytes at a time, until something else shows up.
                        while i + 4 <= n {
                            let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                            let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                            if (a | b | c | d) & 0xC0 != 0 { break }
                            let chunk = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            output[o] = UInt8(truncatingIfNeeded: chunk >> 16)
                            output[o + 1] = UInt8(truncatingIfNeeded: chunk >> 8)
                            output[o + 2] = UInt8(truncatingIfNeeded: chunk)
                            i += 4
                            o += 3
                        }
                        if i >= n { break }
                    }
                    // Slow path, one byte: whitespace, padding, or a group split by them.
                    let value = table[Int(input[i])]
                    i += 1
                    if value == whitespace { continue }
                    if value == pad {
                        padding += 1
                        continue
                    }
                    guard value < 64, padding == 0 else { throw .invalidByte(offset: i - 1, byte: input[i - 1]) }
                    quad = quad << 6 | UInt32(value)
                    have += 1
                    if have == 4 {
                        output[o] = UInt8(truncatingIfNeeded: quad >> 16)
                        output[o + 1] = UInt8(truncatingIfNeeded: quad >> 8)
                        output[o + 2] = UInt8(truncatingIfNeeded: quad)
                        o += 3
                        quad = 0
                        have = 0
                    }
                }
                switch have {
                case 0:
                    guard padding == 0 else { throw .invalidPadding }
                case 2:
                    guard padding == 0 || padding == 2 else { throw .invalidPadding }
                    output[o] = UInt8(truncatingIfNeeded: quad >> 4)
                    o += 1
                case 3:
                    guard padding == 0 || padding == 1 else { throw .invalidPadding }
                    output[o] = UInt8(truncatingIfNeeded: quad >> 10)
                    output[o + 1] = UInt8(truncatingIfNeeded: quad >> 2)
                    o += 2
                default:
                    throw .invalidLength
                }
                return o
            }
        }
        output.removeLast(output.count - written)
        return output
    }

    // MARK: - Tables

    private static let whitespace: UInt8 = 0xFE
    private static let pad: UInt8 = 0xFD
    private static let invalid: UInt8 = 0xFF

    private static let standardTable: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let urlSafeTable: [UInt8] = Array(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Byte → 6-bit value; both alphabets' 62nd and 63rd characters decode.
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, byte) in standardTable.enumerated() { table[Int(byte)] = UInt8(value) }
        table[Int(UInt8(ascii: "-"))] = 62
        table[Int(UInt8(ascii: "_"))] = 63
        for byte in [UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")] {
            table[Int(byte)] = whitespace
        }
        table[Int(UInt8(ascii: "="))] = pad
        return table
    }()
}

/// Why a base64 text could not be decoded.
public enum Base64Error: Error, Equatable, Sendable, CustomStringConvertible {
    case invalidByte(offset: Int, byte: UInt8)
    case invalidPadding
    /// A single dangling character: no whole byte can come from it.
    case invalidLength

    public var description: String {
        switch self {
        case .invalidByte(let offset, let byte): "invalid base64 byte 0x\(String(byte, radix: 16)) at offset \(offset)"
        case .invalidPadding: "invalid base64 padding"
        case .invalidLength: "base64 text ends with a partial group"
        }
    }
}
