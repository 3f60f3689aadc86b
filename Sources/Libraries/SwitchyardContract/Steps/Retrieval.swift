/// One retrieved chunk an answer may cite: `[n]` in the answer is `citations[n - 1]`.
public struct Citation: Codable, Sendable, Equatable {
    /// The number the prompt gave the source (1-based).
    public var index: Int
    /// The document the chunk came from, as ingested (a file name or URL).
    public var source: String
    /// The chunk's position within its document (0-based).
    public var position: Int
    /// The section heading the chunk sits under, when the document had one.
    public var heading: String?
    /// Cosine similarity of the chunk to the question, -1...1.
    public var score: Double
    /// The stored chunk's id (its content hash).
    public var chunkID: String

    enum CodingKeys: String, CodingKey {
        case index, source, position, heading, score
        case chunkID = "chunkId"
    }

    public init(index: Int, source: String, position: Int, heading: String? = nil, score: Double, chunkID: String) {
        self.index = index
        self.source = source
        self.position = position
        self.heading = heading
        self.score = score
        self.chunkID = chunkID
    }
}

/// What the retrieval step did before the LLM call: which collection it searched, how, and
/// whether it failed. A failed retrieval never drops silently: the answer comes without sources,
/// the outcome is `degraded`, and this report says why.
public struct RetrievalReport: Codable, Sendable, Equatable {
    /// `retrieved` (sources went into the prompt), `empty` (the search found nothing), or
    /// `failed` (the answer was made without retrieval; `error` says why).
    public var status: String
    public var collection: String
    public var embeddingModel: ModelID
    /// `scan` (exact cosine over cached float32 vectors) or `atlas` (`$vectorSearch`).
    public var index: String?
    /// Chunks searched (the scan's collection size); nil for Atlas.
    public var searched: Int?
    public var error: StepError?
    /// Embedding plus search, ms.
    public var latencyMs: Int64

    public init(
        status: String, collection: String, embeddingModel: ModelID, index: String? = nil, searched: Int? = nil,
        error: StepError? = nil, latencyMs: Int64
    ) {
        self.status = status
        self.collection = collection
        self.embeddingModel = embeddingModel
        self.index = index
        self.searched = searched
        self.error = error
        self.latencyMs = latencyMs
    }
}
