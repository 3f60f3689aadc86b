import SwitchyardCore
import SwitchyardRetrieval
import Testing

func stored(_ i: Int, _ vector: [Float], text: String = "", source: String = "s") -> StoredChunk {
    StoredChunk(
        id: "c\(i)", tenantID: "t", collection: "c",
        chunk: DocumentChunk(source: source, position: i, heading: nil, text: text, hash: "h\(i)"),
        embeddingModel: "m", vector: vector)
}

@Suite struct ExactScanIndexTests {
    @Test func ranksByCosineAgainstABruteForceReference() throws {
        var rng = SplitMix64(seed: 7)
        let dims = 37  // not a multiple of 16: the scalar tail runs too
        func v() -> [Float] { (0..<dims).map { _ in Float(Int(rng.next() % 2001) - 1000) / 1000 } }
        let chunks = (0..<300).map { stored($0, v()) }
        let index = try ExactScanIndex(chunks: chunks)
        for _ in 0..<20 {
            let q = v()
            // Reference: cosine in Double, sorted, ties by row.
            func cosine(_ a: [Float], _ b: [Float]) -> Double {
                var dot = 0.0, na = 0.0, nb = 0.0
                for (x, y) in zip(a, b) {
                    dot += Double(x) * Double(y)
                    na += Double(x) * Double(x)
                    nb += Double(y) * Double(y)
                }
                return dot / (na.squareRoot() * nb.squareRoot())
            }
            let reference = chunks.indices.map { ($0, cosine(chunks[$0].vector, q)) }.sorted {
                $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0
            }
            let hits = try index.search(q, topK: 7)
            #expect(hits.map(\.chunk.id) == reference.prefix(7).map { "c\($0.0)" })
            for (hit, ref) in zip(hits, reference) { #expect(abs(hit.score - ref.1) < 1e-5) }
        }
    }

    @Test func scaleDoesNotMatterAndOppositeScoresMinusOne() throws {
        let index = try ExactScanIndex(chunks: [stored(0, [1, 0]), stored(1, [0, 3]), stored(2, [-2, 0])])
        let hits = try index.search([10, 0], topK: 3)
        #expect(hits.map(\.chunk.id) == ["c0", "c1", "c2"])
        #expect(hits.map(\.score) == [1, 0, -1])
    }

    @Test func badInputIsATypedError() throws {
        let index = try ExactScanIndex(chunks: [stored(0, [1, 0]), stored(1, [0, 0])])
        #expect(index.count == 1)  // a zero vector is left out at build time
        #expect(throws: RetrievalError.dimensionMismatch(expected: 2, got: 3)) { try index.search([1, 0, 0], topK: 1) }
        #expect(throws: RetrievalError.self) { try index.search([0, 0], topK: 1) }
        #expect(throws: RetrievalError.self) { try index.search([1, 0], topK: 0) }
        #expect(throws: RetrievalError.self) { try index.search([1, 0], topK: 101) }
        #expect(throws: RetrievalError.self) { try ExactScanIndex(chunks: [stored(0, [1, 0]), stored(1, [1])]) }
        #expect(try ExactScanIndex(chunks: []).search([1], topK: 3).isEmpty)
    }
}

@Suite struct BM25IndexTests {
    /// Scores computed by hand with k1 = 1.2, b = 0.75.
    @Test func scoresMatchTheFormula() {
        let chunks = [
            stored(0, [1], text: "notice notice period"), stored(1, [1], text: "rent period"),
            stored(2, [1], text: "deposit"),
        ]
        let index = BM25Index(chunks: chunks)
        let hits = index.search("notice", topK: 3)
        // N = 3, n(notice) = 1: idf = ln(1 + (3 - 1 + 0.5) / (1 + 0.5)) = ln(8/3).
        // Doc 0: tf = 2, |d| = 3, avgdl = 2: 2 × 2.2 / (2 + 1.2 × (0.25 + 0.75 × 1.5)) = 4.4 / 3.65.
        let expected = log(8.0 / 3.0) * 4.4 / 3.65
        #expect(hits.count == 1 && hits[0].chunk.id == "c0")
        #expect(abs(hits[0].score - expected) < 1e-12)
        // Stop words carry nothing; a shared term ranks the shorter document higher.
        #expect(index.search("the of", topK: 3).isEmpty)
        #expect(index.search("period", topK: 3).map(\.chunk.id) == ["c1", "c0"])
    }
}

@Suite struct RankingMetricsTests {
    @Test func hitAndReciprocalRank() {
        #expect(RankingMetrics.hit(["a", "b", "c"], gold: ["c"], k: 3) == 1)
        #expect(RankingMetrics.hit(["a", "b", "c"], gold: ["c"], k: 2) == 0)
        #expect(RankingMetrics.reciprocalRank(["a", "b", "c"], gold: ["b", "c"]) == 0.5)
        #expect(RankingMetrics.reciprocalRank(["a"], gold: ["z"]) == 0)
    }
}
