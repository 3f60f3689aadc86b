import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The weights of the n-gram classifier, as `scripts/train-router` writes them
/// (`infra/classifier/<name>-<version>.bin`, little-endian):
///
///     "SYCLF\0\x01\0"   magic and format version 1
///     u32 n, n bytes    header: JSON with version, label order, feature recipe, temperature, row count
///     u32[rows]         bucket ids of the stored rows, strictly increasing
///     f16[rows × 15]    weights: 12 category logits, then 3 difficulty logits
///     f32[15]           bias
///     f32[meta × 15]    meta rows: image / no image, then prompt-length buckets
///     u64               checksum of everything before it: FNV-1a 64 over little-endian 64-bit
///                       words, then the remaining bytes one at a time
///
/// Loaded once at init into a dense table of `1 << bits` rows, so a lookup is one load.
public struct NGramModel: Sendable {
    public static let magic: [UInt8] = [0x53, 0x59, 0x43, 0x4C, 0x46, 0x00, 0x01, 0x00]
    public static let outputs = 15
    static let categoryCount = 12

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
    /// Stored (non-zero) rows in the file.
    public let storedRows: Int
    let table: [SIMD16<Float>]
    let meta: [SIMD16<Float>]
    let bias: SIMD16<Float>

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

    /// Parses the bytes of a model file.
    static func parse(_ bytes: [UInt8]) throws(FormatProblem) -> NGramModel {
        guard bytes.count >= 20, Array(bytes[0..<8]) == magic else {
            throw FormatProblem("not an n-gram classifier file (bad magic)")
        }
        guard checksum(bytes) == readU64(bytes, bytes.count - 8) else { throw FormatProblem("checksum mismatch") }

        let headerLength = Int(readU32(bytes, 8))
        guard 12 + headerLength <= bytes.count - 8 else { throw FormatProblem("header length past the end") }
        let header: JSON
        do { header = try JSON.parse(bytes[12..<(12 + headerLength)]) } catch {
            throw FormatProblem("header is not JSON: \(error)")
        }
        func field(_ key: String) throws(FormatProblem) -> JSON {
            guard let value = header[key] else { throw FormatProblem("header lacks \(key)") }
            return value
        }
        guard let name = try field("name").stringValue, let version = try field("version").stringValue,
            let bits = try field("bits").int64Value, (8...22).contains(bits),
            let ngrams = try field("ngrams").arrayValue?.compactMap({ $0.int64Value }).map({ Int($0) }),
            ngrams.count <= 3, ngrams.allSatisfy({ (1...7).contains($0) }),
            let words = try field("words").boolValue, let alpha = try field("alpha").doubleValue,
            let maxBytes = try field("max_bytes").int64Value, (1...65536).contains(maxBytes),
            let ngramBytes = try field("ngram_bytes").int64Value, (0...maxBytes).contains(ngramBytes),
            let temperature = try field("temperature").doubleValue, temperature > 0,
            let bounds = try field("length_bounds").arrayValue?.compactMap({ $0.int64Value }).map({ Int($0) }),
            let rowCount = try field("rows").int64Value, rowCount >= 0, rowCount <= 1 << bits,
            try field("weight_encoding").stringValue == "f16"
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
        var at = 12 + headerLength
        let expected = at + 4 * rows + 2 * rows * k + 4 * k + 4 * metaCount * k + 8
        guard bytes.count == expected else {
            throw FormatProblem("\(bytes.count) bytes where the header implies \(expected)")
        }
        var table = [SIMD16<Float>](repeating: SIMD16<Float>(), count: 1 << Int(bits))
        let weightsStart = at + 4 * rows
        let rowIDs = at
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
        at = weightsStart + 2 * rows * k
        func readRow() -> SIMD16<Float> {
            var row = SIMD16<Float>()
            for j in 0..<k { row[j] = Float(bitPattern: readU32(bytes, at + 4 * j)) }
            at += 4 * k
            return row
        }
        let bias = readRow()
        let meta = (0..<metaCount).map { _ in readRow() }
        return NGramModel(
            name: name, version: version,
            features: NGramFeatures(
                bits: Int(bits), ngrams: ngrams, words: words, maxBytes: Int(maxBytes), ngramBytes: Int(ngramBytes)),
            alpha: alpha, temperature: temperature, lengthBounds: bounds, categories: categories,
            difficulties: difficulties, storedRows: rows, table: table, meta: meta, bias: bias)
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
