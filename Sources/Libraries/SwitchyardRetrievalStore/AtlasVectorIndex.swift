import SwitchyardRetrieval

/// Atlas Vector Search: `$vectorSearch` on the chunk collection, filtered by tenant, collection
/// and embedding model (the index definition, `AtlasQuery.indexDefinition`, declares those as
/// filter fields; scripts/atlas-index creates it). Only Atlas answers the stage:
/// MongoDB Community and SecantusDB reply `CommandNotSupported` (115), which surfaces as
/// `Retrieval.StoreUnavailable` and degrades the answer.
public struct AtlasVectorIndex: VectorIndex {
    public let kind = "atlas"
    let store: MongoChunkStore
    let indexName: String

    public init(store: MongoChunkStore, indexName: String = "chunks_vector") {
        self.store = store
        self.indexName = indexName
    }

    public func search(
        _ query: [Float], tenantID: String, collection: String, embeddingModel: String, topK: Int,
        deadline: ContinuousClock.Instant
    ) async throws(RetrievalError) -> SearchResult {
        guard (1...ExactScanIndex.maxTopK).contains(topK) else {
            throw .invalidInput("topK: 1...\(ExactScanIndex.maxTopK)")
        }
        let pipeline = AtlasQuery.pipeline(
            vector: query, tenantID: tenantID, collection: collection, embeddingModel: embeddingModel, topK: topK,
            indexName: indexName)
        let hits = try store.aggregate(pipeline, deadline: deadline).compactMap { d -> ScoredChunk? in
            // Defence in depth: the filter already names the tenant; a hit of another is dropped.
            guard let chunk = MongoChunkStore.chunk(d, withVector: false), chunk.tenantID == tenantID,
                chunk.collection == collection, let score = d["score"]?.doubleValue
            else { return nil }
            return ScoredChunk(chunk: chunk, score: score)
        }
        return SearchResult(hits: hits, searched: nil)
    }
}
