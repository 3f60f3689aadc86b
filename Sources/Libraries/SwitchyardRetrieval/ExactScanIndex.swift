/// Exact cosine search over one collection's vectors, held as one contiguous float32 matrix of
/// unit rows, so a query is a single pass of dot products and a bounded top-k selection.
///
/// Immutable once built; the store keeps one per (tenant, collection) and rebuilds it when its
/// cache entry expires. Rows whose norm is zero or not finite are left out at build time.
public struct ExactScanIndex: Sendable {
    public let dimensions: Int
    public let chunks: [StoredChunk]
    /// `chunks.count × dimensions` floats, row-major, each row of unit length.
    let matrix: [Float]

    public static let maxTopK = 100

    /// - Throws: `Retrieval.DimensionMismatch` when the vectors differ in length.
    public init(chunks: [StoredChunk]) throws(RetrievalError) {
        let dimensions = chunks.first?.vector.count ?? 0
        var kept: [StoredChunk] = []
        var matrix: [Float] = []
        kept.reserveCapacity(chunks.count)
        matrix.reserveCapacity(chunks.count * dimensions)
        for var chunk in chunks {
            guard chunk.vector.count == dimensions else {
                throw .dimensionMismatch(expected: dimensions, got: chunk.vector.count)
            }
            guard let unit = Self.normalized(chunk.vector) else { continue }
            matrix += unit
            chunk.vector = []  // the matrix holds it; keeping both would double the memory
            kept.append(chunk)
        }
        self.dimensions = dimensions
        self.chunks = kept
        self.matrix = matrix
    }

    public var count: Int { chunks.count }

    /// The `topK` best rows for `query`, by cosine similarity, best first (ties: lower row first).
    /// - Throws: `Retrieval.DimensionMismatch`, `Retrieval.InvalidInput` (topK outside 1...100, a zero query).
    public func search(_ query: [Float], topK: Int) throws(RetrievalError) -> [ScoredChunk] {
        guard (1...Self.maxTopK).contains(topK) else { throw .invalidInput("topK: 1...\(Self.maxTopK)") }
        if chunks.isEmpty { return [] }
        guard query.count == dimensions else { throw .dimensionMismatch(expected: dimensions, got: query.count) }
        guard let unit = Self.normalized(query) else { throw .invalidInput("the query vector is zero or not finite") }
        let best = Self.topK(scores: scores(unit), k: topK)
        return best.map { ScoredChunk(chunk: chunks[$0.row], score: Double($0.score)) }
    }

    /// Dot product of `unit` with every row: 16-lane vector loads, two accumulators, the tail
    /// (dimensions not a multiple of 16) in scalar code.
    func scores(_ unit: [Float]) -> [Float] {
        let d = dimensions
        let wide = d / 16 * 16
        var out = [Float](repeating: 0, count: chunks.count)
        matrix.withUnsafeBufferPointer { m in
            unit.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    guard let mBase = m.baseAddress, let qBase = q.baseAddress else { return }
                    let qRaw = UnsafeRawPointer(qBase)
                    for row in 0..<o.count {
                        let rowBase = mBase + row * d
                        let rRaw = UnsafeRawPointer(rowBase)
                        var a0 = SIMD16<Float>()
                        var a1 = SIMD16<Float>()
                        var i = 0
                        while i + 32 <= wide {
                            a0 +=
                                rRaw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                                * qRaw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                            a1 +=
                                rRaw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                                * qRaw.loadUnaligned(fromByteOffset: (i + 16) * 4, as: SIMD16<Float>.self)
                            i += 32
                        }
                        if i < wide {
                            a0 +=
                                rRaw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                                * qRaw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                            i += 16
                        }
                        var sum = (a0 + a1).sum()
                        while i < d {
                            sum += rowBase[i] * qBase[i]
                            i += 1
                        }
                        o[row] = sum
                    }
                }
            }
        }
        return out
    }

    /// The k highest scores with their rows, best first; one pass with a sorted buffer of k.
    static func topK(scores: [Float], k: Int) -> [(row: Int, score: Float)] {
        var best: [(row: Int, score: Float)] = []
        best.reserveCapacity(k + 1)
        for (row, score) in scores.enumerated() {
            if best.count == k, let last = best.last, score <= last.score { continue }
            var i = best.count
            while i > 0, best[i - 1].score < score { i -= 1 }
            best.insert((row, score), at: i)
            if best.count > k { best.removeLast() }
        }
        return best
    }

    /// `v / |v|`, or nil when the norm is zero or not finite.
    static func normalized(_ v: [Float]) -> [Float]? {
        var sum: Double = 0
        for x in v { sum += Double(x) * Double(x) }
        let norm = sum.squareRoot()
        guard norm.isFinite, norm > 0 else { return nil }
        let scale = Float(1 / norm)
        return v.map { $0 * scale }
    }
}
