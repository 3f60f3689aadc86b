import SwitchyardRetrieval
import Synchronization

/// The exact scan over MongoDB-stored chunks: each (tenant, collection, model) is loaded once
/// into an `ExactScanIndex` (float32 unit vectors in one matrix) and kept for `cacheTTL`, so a
/// query costs one pass over memory, not a round trip per chunk. After the TTL the next query
/// reloads it (new ingests become visible within the TTL).
///
/// Measured limit: see docs/retrieval.md (a 100k-chunk query within the 50 ms p50 target; memory
/// is 4 × dimensions bytes per chunk plus its text).
public final class ScanVectorIndex: VectorIndex {
    public let kind = "scan"
    let store: MongoChunkStore
    let cacheTTL: Duration
    /// At most this many (tenant, collection, model) entries; the oldest is evicted first.
    let maxEntries: Int
    private let cache = Mutex<[String: (loaded: ContinuousClock.Instant, index: ExactScanIndex)]>([:])

    public init(store: MongoChunkStore, cacheTTL: Duration = .seconds(60), maxEntries: Int = 16) {
        self.store = store
        self.cacheTTL = cacheTTL
        self.maxEntries = maxEntries
    }

    public func search(
        _ query: [Float], tenantID: String, collection: String, embeddingModel: String, topK: Int,
        deadline: ContinuousClock.Instant
    ) async throws(RetrievalError) -> SearchResult {
        let index = try index(
            tenantID: tenantID, collection: collection, embeddingModel: embeddingModel, deadline: deadline)
        return SearchResult(hits: try index.search(query, topK: topK), searched: index.count)
    }

    /// The cached index, loaded when missing or older than the TTL.
    func index(tenantID: String, collection: String, embeddingModel: String, deadline: ContinuousClock.Instant)
        throws(RetrievalError) -> ExactScanIndex
    {
        let key = tenantID + "\u{1F}" + collection + "\u{1F}" + embeddingModel
        let now = ContinuousClock.now
        if let entry = cache.withLock({ $0[key] }), now - entry.loaded < cacheTTL { return entry.index }
        let chunks = try store.load(
            tenantID: tenantID, collection: collection, embeddingModel: embeddingModel, deadline: deadline)
        let index = try ExactScanIndex(chunks: chunks)
        cache.withLock { entries in
            if entries[key] == nil, entries.count >= maxEntries,
                let oldest = entries.min(by: { $0.value.loaded < $1.value.loaded })?.key
            {
                entries[oldest] = nil
            }
            entries[key] = (now, index)
        }
        return index
    }
}
