/// One piece of a document, as the chunker cut it: what is embedded and stored.
public struct DocumentChunk: Sendable, Equatable {
    /// The document it came from (a file name or URL), as the ingester names it.
    public var source: String
    /// 0-based position within the document.
    public var position: Int
    /// The nearest heading above the chunk (`Section 4 > Termination`), when the document has one.
    public var heading: String?
    public var text: String
    /// SHA-256 of heading and text (hex), plus `#n` for the n-th repeat of the same text in one
    /// document: the chunk's identity, so re-ingesting unchanged text changes nothing.
    public var hash: String

    public init(source: String, position: Int, heading: String?, text: String, hash: String) {
        self.source = source
        self.position = position
        self.heading = heading
        self.text = text
        self.hash = hash
    }

    /// What is embedded: the heading gives a paragraph the context its section title carries.
    public var embeddingText: String {
        guard let heading else { return text }
        return heading + "\n" + text
    }
}

/// A chunk as stored, with its vector, as search returns it.
public struct StoredChunk: Sendable, Equatable {
    public var id: String
    public var tenantID: String
    public var collection: String
    public var chunk: DocumentChunk
    public var embeddingModel: String
    public var vector: [Float]

    public init(
        id: String, tenantID: String, collection: String, chunk: DocumentChunk, embeddingModel: String,
        vector: [Float]
    ) {
        self.id = id
        self.tenantID = tenantID
        self.collection = collection
        self.chunk = chunk
        self.embeddingModel = embeddingModel
        self.vector = vector
    }
}

/// A search hit: the chunk and its similarity to the query.
public struct ScoredChunk: Sendable, Equatable {
    public var chunk: StoredChunk
    /// Cosine similarity (scan), or Atlas's `vectorSearchScore`, or a BM25 score (baseline).
    public var score: Double

    public init(chunk: StoredChunk, score: Double) {
        self.chunk = chunk
        self.score = score
    }
}
