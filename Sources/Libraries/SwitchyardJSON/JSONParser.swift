/// Bounds on what one parse may read and build. Every limit fails with its own typed reason,
/// so a hostile document costs at most one linear pass up to the limit it breaks.
///
/// The defaults fit every wire format Switchyard reads (Lambda events ≤ 6 MB, provider
/// responses, configuration bundles) with room to spare; pass wider limits where a document is
/// known to be larger (benchmarks, offline tools).
public struct JSONLimits: Sendable, Equatable {
    /// Most bytes in the document. Default 64 MiB.
    public var maxDocumentBytes: Int
    /// Most nested arrays and objects. Default 256: deep enough for any wire format, shallow
    /// enough that a hostile document cannot exhaust the stack.
    public var maxDepth: Int
    /// Most members in one object. Default 10,000 (wire formats have tens; a 100k-key object is
    /// an attack on whatever indexes it next).
    public var maxObjectMembers: Int
    /// Most bytes in one string (key or value) after unescaping. Default 16 MiB.
    public var maxStringBytes: Int
    /// Most characters in one number literal (sign, digits, point, exponent). Default 1,024:
    /// enough for any Double written out in full (Foundation writes 1e308 as 309 digits, the
    /// smallest subnormal needs ~330 places), short enough that a megabyte of digits never
    /// reaches the float parser.
    public var maxNumberLength: Int

    public init(
        maxDocumentBytes: Int = 64 << 20, maxDepth: Int = 256, maxObjectMembers: Int = 10_000,
        maxStringBytes: Int = 16 << 20, maxNumberLength: Int = 1024
    ) {
        self.maxDocumentBytes = maxDocumentBytes
        self.maxDepth = maxDepth
        self.maxObjectMembers = maxObjectMembers
        self.maxStringBytes = maxStringBytes
        self.maxNumberLength = maxNumberLength
    }

    public static let `default` = JSONLimits()
}

/// Why a byte sequence is not JSON (or not JSON within the limits), with the byte offset where
/// parsing stopped.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Reason: Sendable, Equatable {
        case unexpectedEnd
        case unexpectedByte(UInt8)
        case invalidNumber
        case invalidEscape
        case invalidUnicodeEscape
        case invalidUTF8
        case controlCharacterInString
        case duplicateKey(String)
        case trailingData
        case tooDeep(limit: Int)
        case documentTooLarge(limit: Int)
        case tooManyMembers(limit: Int)
        case stringTooLong(limit: Int)
        case numberTooLong(limit: Int)
    }

    public var reason: Reason
    public var offset: Int

    /// True when the document broke a `JSONLimits` bound rather than the JSON grammar.
    public var isLimit: Bool {
        switch reason {
        case .tooDeep, .documentTooLarge, .tooManyMembers, .stringTooLong, .numberTooLong: true
        default: false
        }
    }

    public var description: String {
        let what: String
        switch reason {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let b):
            what =
                b >= 0x20 && b < 0x7F
                ? "unexpected character '\(Character(Unicode.Scalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16))"
        case .invalidNumber: what = "invalid number"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicodeEscape: what = "invalid \\u escape"
        case .invalidUTF8: what = "invalid UTF-8"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .duplicateKey(let k): what = "duplicate key \"\(k.prefix(64))\""
        case .trailingData: what = "data after the JSON value"
        case .tooDeep(let limit): what = "nesting deeper than \(limit) levels"
        case .documentTooLarge(let limit): what = "document larger than \(limit) bytes"
        case .tooManyMembers(let limit): what = "object with more than \(limit) members"
        case .stringTooLong(let limit): what = "string longer than \(limit) bytes"
        case .numberTooLong(let limit): what = "number longer than \(limit) characters"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}

extension JSON {
    /// The default nesting limit (`JSONLimits.default.maxDepth`).
    public static let maximumDepth = JSONLimits.default.maxDepth

    /// Parses one complete JSON document (RFC 8259). Strict: no comments, no trailing commas,
    /// no NaN, no duplicate keys, valid UTF-8 only; whitespace around the value is allowed.
    /// Linear in the document's size, and bounded by `limits`.
    public static func parse(_ bytes: some Collection<UInt8>, limits: JSONLimits = .default) throws(JSONParseError)
        -> JSON
    {
        // The stdlib's buffer accessors rethrow untyped errors, so results travel as `Result`.
        if let result = bytes.withContiguousStorageIfAvailable({ buffer in
            Result { () throws(JSONParseError) in try parseBuffer(buffer, limits: limits) }
        }) {
            return try result.get()
        }
        guard bytes.count <= limits.maxDocumentBytes else {
            throw JSONParseError(reason: .documentTooLarge(limit: limits.maxDocumentBytes), offset: 0)
        }
        let copy = Array(bytes)
        return try copy.withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in try parseBuffer(buffer, limits: limits) }
        }.get()
    }

    public static func parse(_ string: String, limits: JSONLimits = .default) throws(JSONParseError) -> JSON {
        var string = string
        return try string.withUTF8 { buffer in
            Result { () throws(JSONParseError) in try parseBuffer(buffer, limits: limits) }
        }.get()
    }

    private static func parseBuffer(_ buffer: UnsafeBufferPointer<UInt8>, limits: JSONLimits) throws(JSONParseError)
        -> JSON
    {
        guard buffer.count <= limits.maxDocumentBytes else {
            throw JSONParseError(reason: .documentTooLarge(limit: limits.maxDocumentBytes), offset: 0)
        }
        var parser = JSONParser(buffer, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == buffer.count else { throw parser.error(.trailingData) }
        return value
    }
}

/// A recursive-descent parser over one contiguous buffer. Every loop advances `index`, and no
/// step looks back at more than a few earlier members, so time is linear in the input
/// (duplicate keys of large objects are found through a hash table that grows with the object).
struct JSONParser: ~Copyable {
    let bytes: UnsafeBufferPointer<UInt8>
    let limits: JSONLimits
    var index = 0
    /// Children of the containers being parsed, innermost last.
    var storage = ParseStorage()

    /// Objects up to this many members find duplicates by a linear scan (cheaper than hashing
    /// for the small objects of wire formats); larger ones switch to a `KeyTable`, once.
    static let linearScanMembers = 12

    init(_ bytes: UnsafeBufferPointer<UInt8>, limits: JSONLimits = .default) {
        self.bytes = bytes
        self.limits = limits
    }

    func error(_ reason: JSONParseError.Reason) -> JSONParseError {
        JSONParseError(reason: reason, offset: index)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func parseValue(depth: Int) throws(JSONParseError) -> JSON {
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"):
            try expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try expectLiteral("null")
            return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        case let other: throw error(.unexpectedByte(other))
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error(.unexpectedEnd) }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for i in 0..<count where bytes[index + i] != expected[i] {
            index += i
            throw error(.unexpectedByte(bytes[index]))
        }
        index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= limits.maxDepth else { throw error(.tooDeep(limit: limits.maxDepth)) }
        index += 1  // {
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(JSONObject())
        }
        // This object's members so far are the storage's members from `base` on; nested objects
        // push above them and pop their own before this one continues.
        let base = storage.memberCount
        var count = 0
        // The keys, once the object outgrows the linear scan.
        var table: KeyTable?
        while true {
            skipWhitespace()
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: "\"") else { throw error(.unexpectedByte(bytes[index])) }
            guard count < limits.maxObjectMembers else { throw error(.tooManyMembers(limit: limits.maxObjectMembers)) }
            let keyStart = index
            let (key, tag) = try parseKey()
            // Duplicate keys are ambiguous (which one wins differs between parsers); reject them.
            var duplicate = false
            if table != nil {
                duplicate = !table!.insert(key, index: count, keys: storage.keys + base)
            } else if count < Self.linearScanMembers {
                for i in base..<(base + count) {
                    var exact = false
                    if KeyTag.mayMatch(storage.keyTag(at: i), tag, exact: &exact), exact || storage.key(at: i) == key {
                        duplicate = true
                        break
                    }
                }
            } else {
                var keys = KeyTable(minimumCapacity: count * 2)
                for i in 0..<count { _ = keys.insert(storage.key(at: base + i), index: i, keys: storage.keys + base) }
                duplicate = !keys.insert(key, index: count, keys: storage.keys + base)
                table = keys
            }
            if duplicate {
                index = keyStart
                throw error(.duplicateKey(key))
            }
            skipWhitespace()
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            guard bytes[index] == UInt8(ascii: ":") else { throw error(.unexpectedByte(bytes[index])) }
            index += 1
            skipWhitespace()
            let value = try parseValue(depth: depth)
            storage.pushMember(key: key, tag: tag, value: value)
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "}"):
                index += 1
                return .object(JSONObject(storage.popMembers(count)))
            case let other: throw error(.unexpectedByte(other))
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSON {
        guard depth <= limits.maxDepth else { throw error(.tooDeep(limit: limits.maxDepth)) }
        index += 1  // [
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array([])
        }
        // This array's elements so far are the top `count` values of the storage.
        var count = 0
        while true {
            skipWhitespace()
            storage.pushValue(try parseValue(depth: depth))
            count += 1
            skipWhitespace()
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            switch bytes[index] {
            case UInt8(ascii: ","): index += 1
            case UInt8(ascii: "]"):
                index += 1
                return .array(storage.popElements(count))
            case let other: throw error(.unexpectedByte(other))
            }
        }
    }

    /// An object key and its `KeyTag`. Short ASCII keys without escapes come from the storage's
    /// cache when the same key was seen recently.
    private mutating func parseKey() throws(JSONParseError) -> (String, UInt64) {
        let quote = index
        let start = index + 1
        index = start
        let high = scanRun()
        let length = index - start
        if index < bytes.count, bytes[index] == UInt8(ascii: "\""), high < 0x80, length <= limits.maxStringBytes {
            let w0 = load(start, min(length, 8))
            index += 1
            guard length <= 16 else {
                let slice = UnsafeBufferPointer(rebasing: bytes[start..<(start + length)])
                return (String(decoding: slice, as: UTF8.self), KeyTag.ascii(length: length, firstWord: w0))
            }
            let w1 = load(start + 8, max(length - 8, 0))
            let tag = KeyTag.ascii(length: length, firstWord: w0)
            if let key = storage.cachedKey(length: length, w0, w1) { return (key, tag) }
            let key = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<(start + length)]), as: UTF8.self)
            storage.cache(key, length: length, w0, w1)
            return (key, tag)
        }
        // Escapes, non-ASCII or an error: the general path, tagged from the result.
        index = quote
        let key = try parseString()
        var ascii = true
        var w0: UInt64 = 0
        for (i, b) in key.utf8.enumerated() {
            if b >= 0x80 {
                ascii = false
                break
            }
            if i < 8 { w0 |= UInt64(b) << (8 * UInt64(i)) }
        }
        return (key, ascii ? KeyTag.ascii(length: key.utf8.count, firstWord: w0) : KeyTag.compareStrings)
    }

    /// Up to eight bytes from `offset`, little-endian, zero-padded (never reads past the input).
    @inline(__always)
    private func load(_ offset: Int, _ count: Int) -> UInt64 {
        if count == 8 { return UnsafeRawPointer(bytes.baseAddress! + offset).loadUnaligned(as: UInt64.self) }
        var word: UInt64 = 0
        for i in 0..<count { word |= UInt64(bytes[offset + i]) << (8 * UInt64(i)) }
        return word
    }

    private mutating func parseNumber() throws(JSONParseError) -> JSON {
        let start = index
        var isInteger = true
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw error(.unexpectedEnd) }
        // Integer part: "0" or a non-zero digit followed by digits (no leading zeros).
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if isDigit(bytes[index]) {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        } else {
            throw error(.invalidNumber)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            isInteger = false
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            isInteger = false
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                index += 1
            }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error(.invalidNumber) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        guard index - start <= limits.maxNumberLength else {
            index = start
            throw error(.numberTooLong(limit: limits.maxNumberLength))
        }
        let slice = UnsafeBufferPointer(rebasing: bytes[start..<index])
        if isInteger, let value = parseInt64(slice) { return .integer(value) }
        if let value = Self.exactDouble(slice) { return .double(value) }
        let text = String(decoding: slice, as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            index = start
            throw error(.invalidNumber)
        }
        return .double(value)
    }

    /// Powers of ten a `Double` holds exactly (10^22 is the largest).
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18,
        1e19, 1e20, 1e21, 1e22,
    ]

    /// A number literal the grammar already accepted, converted without `strtod` when that is exact
    /// (Clinger's fast path): a decimal significand below 2^53 and a power of ten within 10^±22 are
    /// both exact doubles, so one IEEE multiply or divide rounds once, correctly, to the value
    /// `strtod` gives. Nil otherwise (more digits, a larger exponent): the caller takes the slow path.
    /// Most of the configuration's and the providers' decimals (`0.15`, `2.5e-7`) take this path
    /// instead of a `String` and `strtod` (about 40 instructions instead of 1,000).
    static func exactDouble(_ literal: UnsafeBufferPointer<UInt8>) -> Double? {
        var i = 0
        let negative = literal[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        var significand: UInt64 = 0
        var digits = 0
        var fractionDigits = 0
        var inFraction = false
        while i < literal.count {
            let b = literal[i]
            if b == UInt8(ascii: ".") {
                inFraction = true
            } else if b &- UInt8(ascii: "0") < 10 {
                digits += 1
                // 19 digits always fit in a UInt64; more go to the slow path.
                guard digits <= 19 else { return nil }
                significand = significand &* 10 &+ UInt64(b &- UInt8(ascii: "0"))
                if inFraction { fractionDigits += 1 }
            } else {
                break  // "e" or "E"
            }
            i += 1
        }
        var exponent = 0
        if i < literal.count {
            i += 1  // e
            var negativeExponent = false
            if literal[i] == UInt8(ascii: "-") || literal[i] == UInt8(ascii: "+") {
                negativeExponent = literal[i] == UInt8(ascii: "-")
                i += 1
            }
            // More than four exponent digits is far outside the fast path's range (or padded with
            // zeros, which strtod reads as well).
            guard literal.count - i <= 4 else { return nil }
            while i < literal.count {
                exponent = exponent * 10 + Int(literal[i] &- UInt8(ascii: "0"))
                i += 1
            }
            if negativeExponent { exponent = -exponent }
        }
        exponent -= fractionDigits
        guard significand <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        let magnitude = Double(significand)
        let value =
            exponent >= 0 ? magnitude * exactPowersOfTen[exponent] : magnitude / exactPowersOfTen[-exponent]
        return negative ? -value : value
    }

    /// Exact Int64 parse; nil on overflow (the caller then falls back to Double).
    private func parseInt64(_ digits: UnsafeBufferPointer<UInt8>) -> Int64? {
        var i = 0
        let negative = digits[0] == UInt8(ascii: "-")
        if negative { i = 1 }
        // Up to 18 digits cannot overflow: accumulate without checks.
        if digits.count - i <= 18 {
            var value: Int64 = 0
            while i < digits.count {
                value = value &* 10 &+ Int64(digits[i] &- UInt8(ascii: "0"))
                i += 1
            }
            return negative ? -value : value
        }
        var value: Int64 = 0
        while i < digits.count {
            let digit = Int64(digits[i] &- UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
            i += 1
        }
        return value
    }

    @inline(__always) private func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

    /// True when any of the eight bytes is a quote, a backslash or a control character (< 0x20)
    /// (the classic SWAR zero-byte tests; bytes ≥ 0x80 never match).
    @inline(__always)
    static func needsAttention(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let control = (word &- ones &* 0x20) & ~word & highs
        return hasZeroByte(quote) || hasZeroByte(backslash) || control != 0
    }

    mutating func parseString() throws(JSONParseError) -> String {
        let quote = index
        index += 1  // opening quote
        let start = index
        // Unescaped runs are found eight bytes at a time and copied whole; a string without
        // escapes is made straight from the input. `high` notes any non-ASCII byte.
        var high: UInt8 = 0
        var scratch: [UInt8] = []
        var escaped = false
        var runStart = index
        while true {
            high |= scanRun()
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let run = UnsafeBufferPointer(rebasing: bytes[runStart..<index])
                let length = escaped ? scratch.count + run.count : run.count
                guard length <= limits.maxStringBytes else {
                    index = quote
                    throw error(.stringTooLong(limit: limits.maxStringBytes))
                }
                index += 1
                if !escaped { return try makeString(run, ascii: high < 0x80, at: start) }
                scratch.append(contentsOf: run)
                return try scratch.withUnsafeBufferPointer { buffer in
                    Result { () throws(JSONParseError) in try makeString(buffer, ascii: high < 0x80, at: start) }
                }.get()
            }
            guard b == UInt8(ascii: "\\") else { throw error(.controlCharacterInString) }
            if !escaped {
                escaped = true
                scratch.reserveCapacity(index - start + 16)
            }
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
            // Checked as it grows, so an endless escaped string never holds more than the limit.
            guard scratch.count <= limits.maxStringBytes else {
                index = quote
                throw error(.stringTooLong(limit: limits.maxStringBytes))
            }
            index += 1
            guard index < bytes.count else { throw error(.unexpectedEnd) }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scratch.append(0x22)
            case UInt8(ascii: "\\"): scratch.append(0x5C)
            case UInt8(ascii: "/"): scratch.append(0x2F)
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                high |= try appendUnicodeEscape(to: &scratch)
            default:
                index -= 1
                throw error(.invalidEscape)
            }
            runStart = index
        }
    }

    /// Advances `index` to the next quote, backslash or control character (or the end) and
    /// returns the OR of the bytes passed over (bit 7 set when any was non-ASCII).
    @inline(__always)
    private mutating func scanRun() -> UInt8 {
        var high: UInt8 = 0
        if let base = bytes.baseAddress {
            var wide: UInt64 = 0
            while index + 8 <= bytes.count {
                let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                if Self.needsAttention(word) { break }
                wide |= word
                index += 8
            }
            if wide & 0x8080_8080_8080_8080 != 0 { high = 0x80 }
        }
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") || b == UInt8(ascii: "\\") || b < 0x20 { break }
            high |= b
            index += 1
        }
        return high
    }

    /// ASCII needs no validation; otherwise invalid UTF-8 is rejected rather than repaired silently.
    private func makeString(_ utf8: UnsafeBufferPointer<UInt8>, ascii: Bool, at offset: Int) throws(JSONParseError)
        -> String
    {
        if ascii { return String(decoding: utf8, as: UTF8.self) }
        guard let s = String(validating: utf8, as: UTF8.self) else {
            throw JSONParseError(reason: .invalidUTF8, offset: offset)
        }
        return s
    }

    private mutating func readHex4() throws(JSONParseError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error(.unexpectedEnd) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error(.invalidUnicodeEscape)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    /// Appends the UTF-8 of one `\u` escape (a surrogate pair counts as one); returns 0x80 when
    /// it is not ASCII.
    private mutating func appendUnicodeEscape(to scratch: inout [UInt8]) throws(JSONParseError) -> UInt8 {
        var scalarValue = try readHex4()
        if (0xD800...0xDBFF).contains(scalarValue) {
            // A high surrogate must be followed by an escaped low surrogate.
            guard index + 2 <= bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
            else { throw error(.invalidUnicodeEscape) }
            index += 2
            let low = try readHex4()
            guard (0xDC00...0xDFFF).contains(low) else { throw error(.invalidUnicodeEscape) }
            scalarValue = 0x10000 + ((scalarValue - 0xD800) << 10) + (low - 0xDC00)
        } else if (0xDC00...0xDFFF).contains(scalarValue) {
            throw error(.invalidUnicodeEscape)
        }
        guard let scalar = Unicode.Scalar(scalarValue) else { throw error(.invalidUnicodeEscape) }
        if scalarValue < 0x80 {
            scratch.append(UInt8(truncatingIfNeeded: scalarValue))
            return 0
        }
        scratch.append(contentsOf: UTF8.encode(scalar)!)
        return 0x80
    }
}
