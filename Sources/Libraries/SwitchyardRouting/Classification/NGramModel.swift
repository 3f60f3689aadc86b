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
/// Format 2 is scored where it lies: loading maps the file read-only (`MappedModelFile`), checks its
/// sizes (and its checksum, unless the caller trusts the artifact: `load(path:verifyingChecksum:)`)
/// and keeps the mapping, so init does no conversion and copies nothing, and the table (2 MiB at
/// 2^17 buckets) is the page cache's pages, not a copy in the heap.
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
        /// Format 2: the mapped file, the table's rows `stride` bytes apart from `offset`.
        case int8(file: MappedModelFile, offset: Int, scales: SIMD16<Float>)
        /// Format 1: f16 rows widened into a dense table.
        case float32([SIMD16<Float>])
    }

    /// Maps and checks a model file: magic, header and sizes, as the format defines them, and (unless
    /// `verifyingChecksum` is false) the checksum over every byte, before the model exists.
    ///
    /// The checksum reads the whole file: for a 2 MiB table that is 0.3–0.45 ms of CPU here, bound
    /// by memory bandwidth whatever the hash, and on a fresh Lambda sandbox every page of the table
    /// read from the code package, where scoring touches a few rows a prompt. A caller loading from
    /// an artifact whose integrity is checked as a whole (the function's zip: `scripts/package`
    /// verifies the checksum when it packs the file, and Lambda the zip's SHA-256) may skip it;
    /// everything the format bounds is checked either way, so a damaged file cannot be read out of
    /// bounds, only score differently.
    /// - Throws: `ClassifierModelError` (`Router.InvalidClassifier`).
    public static func load(path: String, verifyingChecksum: Bool = true) throws(ClassifierModelError)
        -> NGramModel
    {
        let file: MappedModelFile
        do {
            file = try MappedModelFile(path: path, limit: 32 << 20)
        } catch {
            throw .unreadable(path: path, reason: error.reason)
        }
        let model: NGramModel
        do {
            model = try parse(file, verifyingChecksum: verifyingChecksum)
        } catch {
            throw .corrupt(path: path, detail: error.detail)
        }
        // Format 2 keeps the mapping (its pages are the page cache's); format 1 keeps no reference,
        // and its mapping goes with `file`.
        return model
    }

    struct FormatProblem: Error {
        var detail: String
        init(_ detail: String) { self.detail = detail }
    }

    /// Checks the bytes of a model file and builds the model over them.
    static func parse(_ file: MappedModelFile, verifyingChecksum: Bool = true) throws(FormatProblem) -> NGramModel {
        let bytes = file.bytes
        guard bytes.count >= 20, Array(bytes[0..<6]) == Array(magic[0..<6]), bytes[7] == 0,
            bytes[6] == 1 || bytes[6] == 2
        else {
            throw FormatProblem("not an n-gram classifier file (bad magic)")
        }
        let format = Int(bytes[6])
        guard !verifyingChecksum || checksum(bytes) == readU64(bytes, bytes.count - 8) else {
            throw FormatProblem("checksum mismatch")
        }

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
            weights = .int8(file: file, offset: tableStart, scales: scales)
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
    static func readRow(_ bytes: UnsafeRawBufferPointer, _ at: inout Int) throws(FormatProblem) -> SIMD16<Float> {
        // The callers' size checks keep this inside the body; checked again because the reads below
        // are unchecked loads from the mapping.
        guard at >= 0, at + 4 * outputs <= bytes.count - 8 else { throw FormatProblem("a row lies past the end") }
        var row = SIMD16<Float>()
        for j in 0..<outputs {
            row[j] = Float(bitPattern: readU32(bytes, at + 4 * j))
            guard row[j].isFinite else { throw FormatProblem("a bias, meta or scale value is not finite") }
        }
        at += 4 * outputs
        return row
    }

    /// Format 1: scatters the f16 rows into a dense f32 table of `1 << bits` rows.
    static func widen(_ raw: UnsafeRawBufferPointer, rowIDs: Int, rows: Int, bits: Int) throws(FormatProblem)
        -> [SIMD16<Float>]
    {
        let k = outputs
        var table = [SIMD16<Float>](repeating: SIMD16<Float>(), count: 1 << bits)
        let weightsStart = rowIDs + 4 * rows
        var outOfOrder = false
        do {
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
    static func checksum(_ raw: UnsafeRawBufferPointer) -> UInt64 {
        var hash = WordScanner.offsetBasis
        guard let base = raw.baseAddress, raw.count >= 8 else { return hash }
        // A counted loop over the base pointer: written as `while i + 8 <= end` over the buffer it
        // compiled to 11 instructions a word instead of 2.75 (2.9 M instead of 0.7 M at init).
        let end = raw.count - 8
        let words = end / 8
        for w in 0..<words {
            let word = base.loadUnaligned(fromByteOffset: w &* 8, as: UInt64.self).littleEndian
            hash = (hash ^ word) &* WordScanner.prime
        }
        for i in (words &* 8)..<end {
            hash = (hash ^ UInt64(base.load(fromByteOffset: i, as: UInt8.self))) &* WordScanner.prime
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

    /// Little-endian loads at offsets the caller has checked against the file's size.
    @inline(__always) static func readU32(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt32 {
        b.loadUnaligned(fromByteOffset: at, as: UInt32.self).littleEndian
    }

    @inline(__always) static func readU64(_ b: UnsafeRawBufferPointer, _ at: Int) -> UInt64 {
        b.loadUnaligned(fromByteOffset: at, as: UInt64.self).littleEndian
    }
}
