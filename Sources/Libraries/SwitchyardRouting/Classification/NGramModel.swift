import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The weights of the n-gram classifier, as `scripts/train-router` writes them
/// (`infra/classifier/<name>-<version>.bin`, little-endian). Two formats share the magic's first six
/// bytes, the header and the checksum:
///
///     "SYCLF\0" u8 format u8 0   magic: format 2 (int8, written since router-ngram-3-int8) or 1 (f16)
///     u32 n, n bytes    header: JSON with version, label order, feature recipe, temperature,
///                       weight_encoding ("i8" for format 2, "f16" for format 1), rows
///   format 2:
///     zero bytes        to the next multiple of 16 from the start of the file
///     i8[(1 << bits) × 16]  the dense table: per bucket 12 category and 3 difficulty weights, one zero byte
///     f32[15]           per-output scales: a weight is its int8 value times its output's scale
///   format 1:
///     u32[rows]         bucket ids of the stored rows, strictly increasing
///     f16[rows × 15]    weights
///   both:
///     f32[15]           bias
///     f32[meta × 15]    meta rows: image / no image, then prompt-length buckets
///     u64               checksum of everything before it: FNV-1a 64 over little-endian 64-bit
///                       words, then the remaining bytes one at a time
///
/// Format 2 is scored where it lies: loading reads the file, checks its checksum and sizes and keeps
/// the bytes, so init does no conversion and the table costs 2 MiB (2^17 buckets) instead of 8.
/// Format 1 (router-ngram-1 to -3, kept so evaluations can run them beside a newer model) is widened
/// at load into a dense f32 table.
public struct NGramModel: Sendable {
    /// Format 1's magic (f16 rows); format 2's differs in byte 6.
    public static let magic: [UInt8] = [0x53, 0x59, 0x43, 0x4C, 0x46, 0x00, 0x01, 0x00]
    public static let outputs = 15
    static let categoryCount = 12
    /// Bytes per int8 table row: the 15 outputs and a zero pad, so a row is one 16-byte load.
    static let stride = 16

    public let name: String
    public let version: String
    public let features: NGramFeatures
    /// Text features are summed and scaled by `count ^ -alpha`.
    public let alpha: Double
    /// Divides the category logits before the softmax (fitted on the validation split).
    public let temperature: Double
    /// Upper bounds of the prompt-length buckets, in UTF-8 bytes of the whole prompt.
    public let lengthBounds: [Int]
    /// Label order of the first 12 and the last 3 outputs.
    public let categories: [TaskCategory]
    public let difficulties: [Difficulty]
    /// Non-zero rows of the table (format 2) or stored rows (format 1), as the header states them.
    public let storedRows: Int
    /// `i8` (format 2) or `f16` (format 1, widened to f32 at load).
    public let weightEncoding: String
    let weights: Weights
    let meta: [SIMD16<Float>]
    let bias: SIMD16<Float>

    enum Weights: Sendable {
        /// Format 2: the file's bytes, the table's rows `stride` bytes apart from `offset`.
        case int8(file: [UInt8], offset: Int, scales: SIMD16<Float>)
        /// Format 1: f16 rows widened into a dense table.
        case float32([SIMD16<Float>])
    }

    /// Reads and checks a model file.
    /// - Throws: `ClassifierModelError` (`Router.InvalidClassifier`).
    public static func load(path: String) throws(ClassifierModelError) -> NGramModel {
        let bytes: [UInt8]
        do {
            bytes = try FileReader.read(path, limit: 32 << 20)
        } catch {
            throw .unreadable(path: path, reason: error.errorMessage)
        }
        do {
            return try parse(bytes)
        } catch {
            throw .corrupt(path: path, detail: error.detail)
        }
    }

    struct FormatProblem: Error {
        var detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// Checks the bytes of a model file and builds the model over them.
    static func parse(_ bytes: [UInt8]) throws(FormatProblem) -> NGramModel {
        guard bytes.count >= 20, Array(bytes[0..<6]) == Array(magic[0..<6]), bytes[7] == 0,
            bytes[6] == 1 || bytes[6] == 2
        else {
            throw FormatProblem("not an n-gram classifier file (bad magic)")
        }
        let format = Int(bytes[6])
        guard checksum(bytes) == readU64(bytes, bytes.count - 8) else { throw FormatProblem("checksum mismatch") }

        let headerLength = Int(readU32(bytes, 8))
        guard headerLength <= bytes.count - 20 else { throw FormatProblem("header length past the end") }
        let header: JSON
        do { header = try JSON.parse(bytes[12..<(12 + headerLength)]) } catch {
            throw FormatProblem("header is not JSON: \(error)")
        }
        func field(_ key: String) throws(FormatProblem) -> JSON {
            guard let value = header[key] else { throw FormatProblem("header lacks \(key)") }
            return value
        }
        let encoding = format == 2 ? "i8" : "f16"
        guard let name = try field("name").stringValue, let version = try field("version").stringValue,
            let bits = try field("bits").int64Value, (8...22).contains(bits),
            let ngrams = try field("ngrams").arrayValue?.compactMap({ $0.int64Value }).map({ Int($0) }),
            ngrams.count <= 3, ngrams.allSatisfy({ (1...7).contains($0) }),
            let words = try field("words").boolValue, let alpha = try field("alpha").doubleValue,
            alpha.isFinite, (0...4).contains(alpha),
            let maxBytes = try field("max_bytes").int64Value, (1...65536).contains(maxBytes),
            let ngramBytes = try field("ngram_bytes").int64Value, (0...maxBytes).contains(ngramBytes),
            let temperature = try field("temperature").doubleValue, temperature.isFinite, temperature > 0,
            let bounds = try field("length_bounds").arrayValue?.compactMap({ $0.int64Value }).map({ Int($0) }),
            bounds.count <= 16,
            let rowCount = try field("rows").int64Value, rowCount >= 0, rowCount <= 1 << bits,
            try field("weight_encoding").stringValue == encoding
        else { throw FormatProblem("header fields are missing or out of range") }
        let categoryNames = try field("categories").arrayValue?.compactMap(\.stringValue) ?? []
        let categories = categoryNames.compactMap(TaskCategory.init(rawValue:))
        let difficulties = (try field("difficulties").arrayValue?.compactMap(\.stringValue) ?? [])
            .compactMap(Difficulty.init(rawValue:))
        guard categories.count == categoryCount, Set(categories).count == categoryCount,
            difficulties.count == 3, Set(difficulties).count == 3
        else { throw FormatProblem("labels must be the 12 categories and the 3 difficulties") }

        let rows = Int(rowCount)
        let metaCount = 2 + bounds.count + 1
        let k = outputs
        let headerEnd = 12 + headerLength
        let tail = 4 * k + 4 * metaCount * k + 8  // bias, meta rows, checksum
        let weights: Weights
        var at: Int
        if format == 2 {
            let tableStart = (headerEnd + stride - 1) / stride * stride
            let tableBytes = stride << Int(bits)
            let expected = tableStart + tableBytes + 4 * k + tail
            guard bytes.count == expected else {
                throw FormatProblem("\(bytes.count) bytes where the header implies \(expected)")
            }
            guard bytes[headerEnd..<tableStart].allSatisfy({ $0 == 0 }) else {
                throw FormatProblem("padding before the table is not zero")
            }
            at = tableStart + tableBytes
            let scales = try readRow(bytes, &at)
            guard (0..<k).allSatisfy({ scales[$0] >= 0 }) else { throw FormatProblem("a weight scale is negative") }
            weights = .int8(file: bytes, offset: tableStart, scales: scales)
        } else {
            let expected = headerEnd + 4 * rows + 2 * rows * k + tail
            guard bytes.count == expected else {
                throw FormatProblem("\(bytes.count) bytes where the header implies \(expected)")
            }
            weights = .float32(try widen(bytes, rowIDs: headerEnd, rows: rows, bits: Int(bits)))
            at = headerEnd + 4 * rows + 2 * rows * k
        }
        let bias = try readRow(bytes, &at)
        var meta: [SIMD16<Float>] = []
        for _ in 0..<metaCount { meta.append(try readRow(bytes, &at)) }
        return NGramModel(
            name: name, version: version,
            features: NGramFeatures(
                bits: Int(bits), ngrams: ngrams, words: words, maxBytes: Int(maxBytes), ngramBytes: Int(ngramBytes)),
            alpha: alpha, temperature: temperature, lengthBounds: bounds, categories: categories,
            difficulties: difficulties, storedRows: rows, weightEncoding: encoding, weights: weights, meta: meta,
            bias: bias)
    }

    /// Reads 15 finite f32 values at `at` (the caller checked the file's size) and moves past them.
    static func readRow(_ bytes: [UInt8], _ at: inout Int) throws(FormatProblem) -> SIMD16<Float> {
        var row = SIMD16<Float>()
        for j in 0..<outputs {
            row[j] = Float(bitPattern: readU32(bytes, at + 4 * j))
            guard row[j].isFinite else { throw FormatProblem("a bias, meta or scale value is not finite") }
        }
        at += 4 * outputs
        return row
    }

    /// Format 1: scatters the f16 rows into a dense f32 table of `1 << bits` rows.
    static func widen(_ bytes: [UInt8], rowIDs: Int, rows: Int, bits: Int) throws(FormatProblem) -> [SIMD16<Float>] {
        let k = outputs
        var table = [SIMD16<Float>](repeating: SIMD16<Float>(), count: 1 << bits)
        let weightsStart = rowIDs + 4 * rows
        var outOfOrder = false
        bytes.withUnsafeBytes { raw in
            table.withUnsafeMutableBufferPointer { rowsOut in
                let tableRows = rowsOut.count
                rowsOut.withMemoryRebound(to: Float.self) { floats in
                    var last = -1
                    for r in 0..<rows {
                        let id = Int(raw.loadUnaligned(fromByteOffset: rowIDs + 4 * r, as: UInt32.self).littleEndian)
                        guard id > last, id < tableRows else {
                            outOfOrder = true
                            return
                        }
                        last = id
                        let source = weightsStart + 2 * k * r
                        for j in 0..<k {
                            let half = raw.loadUnaligned(fromByteOffset: source + 2 * j, as: UInt16.self).littleEndian
                            floats[id &* 16 &+ j] = Self.float(half: half)
                        }
                    }
                }
            }
        }
        guard !outOfOrder else { throw FormatProblem("row ids must increase within the table") }
        return table
    }

    /// FNV-1a 64 over little-endian 64-bit words, then the trailing bytes, of all but the last 8 bytes.
    static func checksum(_ bytes: [UInt8]) -> UInt64 {
        let end = bytes.count - 8
        var hash = WordScanner.offsetBasis
        bytes.withUnsafeBytes { raw in
            var i = 0
            while i + 8 <= end {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian) &* WordScanner.prime
                i += 8
            }
            while i < end {
                hash = (hash ^ UInt64(raw[i])) &* WordScanner.prime
                i += 1
            }
        }
        return hash
    }

    /// IEEE half to single precision, exactly (subnormals, infinities and NaN included), without
    /// relying on F16C being available.
    @inline(__always) static func float(half h: UInt16) -> Float {
        let sign = UInt32(h & 0x8000) << 16
        let exponent = UInt32(h >> 10) & 0x1F
        let mantissa = UInt32(h & 0x3FF)
        if exponent == 0 {
            let magnitude = Float(mantissa) * (1.0 / 16_777_216.0)  // mantissa × 2^-24
            return sign == 0 ? magnitude : -magnitude
        }
        if exponent == 31 { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
    }

    @inline(__always) static func readU32(_ b: [UInt8], _ at: Int) -> UInt32 {
        UInt32(b[at]) | UInt32(b[at + 1]) << 8 | UInt32(b[at + 2]) << 16 | UInt32(b[at + 3]) << 24
    }

    @inline(__always) static func readU64(_ b: [UInt8], _ at: Int) -> UInt64 {
        UInt64(readU32(b, at)) | UInt64(readU32(b, at + 4)) << 32
    }
}
