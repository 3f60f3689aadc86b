/// A search over one tenant's collection. Two implementations answer it: `ExactScanIndex`
/// (cosine over float32 vectors cached in memory, for deployments without Atlas and locally) and
/// the Atlas `$vectorSearch` index in SwitchyardRetrievalStore. Both filter by tenant and
/// collection, so a tenant never sees another tenant's chunks, whatever collection it names.
public protocol VectorIndex: Sendable {
    /// Which implementation: `scan` or `atlas` (reported on the outcome).
    var kind: String { get }
    /// The `topK` chunks of `tenantID`'s `collection`, embedded with `embeddingModel`, most
    /// similar to `query`, best first.
    /// - Throws: `Retrieval.StoreUnavailable`, `Retrieval.DimensionMismatch`, `Retrieval.InvalidInput`.
    func search(
        _ query: [Float], tenantID: String, collection: String, embeddingModel: String, topK: Int,
        deadline: ContinuousClock.Instant
    ) async throws(RetrievalError) -> SearchResult
}

/// The hits and how many chunks the search looked at (nil when the index does not say).
public struct SearchResult: Sendable, Equatable {
    public var hits: [ScoredChunk]
    public var searched: Int?

    public init(hits: [ScoredChunk], searched: Int?) {
        self.hits = hits
        self.searched = searched
    }
}
