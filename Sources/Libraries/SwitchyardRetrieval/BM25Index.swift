import SwitchyardCore

/// Okapi BM25 over chunk texts (heading included): the lexical baseline the evaluation prints
/// beside vector search. k1 = 1.2, b = 0.75; terms are lowercased letter/digit runs, minus a
/// short English stop list.
public struct BM25Index: Sendable {
    public let chunks: [StoredChunk]
    let postings: [String: [(doc: Int, tf: Int)]]
    let lengths: [Int]
    let averageLength: Double
    public var k1 = 1.2
    public var b = 0.75

    public init(chunks: [StoredChunk]) {
        var postings: [String: [(doc: Int, tf: Int)]] = [:]
        var lengths: [Int] = []
        for (doc, chunk) in chunks.enumerated() {
            let terms = Self.terms(chunk.chunk.embeddingText)
            lengths.append(terms.count)
            var counts: [String: Int] = [:]
            for t in terms { counts[t, default: 0] += 1 }
            for (t, tf) in counts { postings[t, default: []].append((doc, tf)) }
        }
        self.chunks = chunks
        self.postings = postings
        self.lengths = lengths
        averageLength = lengths.isEmpty ? 1 : max(1, Double(lengths.reduce(0, +)) / Double(lengths.count))
    }

    /// The `topK` chunks by BM25 score, best first; chunks sharing no term are not returned.
    public func search(_ query: String, topK: Int) -> [ScoredChunk] {
        var scores: [Int: Double] = [:]
        let n = Double(chunks.count)
        for term in Set(Self.terms(query)) {
            guard let list = postings[term] else { continue }
            let idf = log1p((n - Double(list.count) + 0.5) / (Double(list.count) + 0.5))
            for (doc, tf) in list {
                let f = Double(tf)
                let norm = k1 * (1 - b + b * Double(lengths[doc]) / averageLength)
                scores[doc, default: 0] += idf * f * (k1 + 1) / (f + norm)
            }
        }
        return scores.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.prefix(topK).map {
            ScoredChunk(chunk: chunks[$0.key], score: $0.value)
        }
    }

    static let stopWords: Set<String> = [
        "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how", "if", "in",
        "is", "it", "its", "may", "must", "of", "on", "or", "shall", "should", "that", "the", "their", "this",
        "to", "under", "what", "when", "which", "who", "will", "with", "within",
    ]

    /// Lowercased runs of letters and digits, stop words removed.
    static func terms(_ text: String) -> [String] {
        var out: [String] = []
        var current = ""
        for scalar in text.unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else if !current.isEmpty {
                if !stopWords.contains(current) { out.append(current) }
                current = ""
            }
        }
        if !current.isEmpty, !stopWords.contains(current) { out.append(current) }
        return out
    }
}
