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

    /// Dot product of `unit` with every row.
    func scores(_ unit: [Float]) -> [Float] {
        let d = dimensions
        var out = [Float](repeating: 0, count: chunks.count)
        matrix.withUnsafeBufferPointer { m in
            unit.withUnsafeBufferPointer { q in
                out.withUnsafeMutableBufferPointer { o in
                    for row in 0..<o.count {
                        let base = row * d
                        // Four accumulators let the optimiser vectorise without reassociating one sum.
                        var (s0, s1, s2, s3): (Float, Float, Float, Float) = (0, 0, 0, 0)
                        var i = 0
                        while i + 4 <= d {
                            s0 += m[base + i] * q[i]
                            s1 += m[base + i + 1] * q[i + 1]
                            s2 += m[base + i + 2] * q[i + 2]
                            s3 += m[base + i + 3] * q[i + 3]
                            i += 4
                        }
                        while i < d {
                            s0 += m[base + i] * q[i]
                            i += 1
                        }
                        o[row] = (s0 + s1) + (s2 + s3)
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
