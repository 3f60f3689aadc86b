import SwitchyardCore
import SwitchyardRetrievalStore

/// Where the retrieval step finds chunks, read once at init.
///
/// | variable | meaning (default) |
/// |---|---|
/// | `RETRIEVAL_MONGODB_URI` | the chunk store, else `MONGODB_URI` (on AWS from the secret); neither: a retrieval |
/// | | plan degrades with `Retrieval.StoreUnavailable` |
/// | `RETRIEVAL_DATABASE` | its database (`switchyard`) |
/// | `RETRIEVAL_INDEX` | `scan` (exact cosine over cached float32 vectors) or `atlas` (`$vectorSearch`) (`scan`) |
/// | `RETRIEVAL_ATLAS_INDEX` | the Atlas vector index's name (`chunks_vector`) |
/// | `RETRIEVAL_CACHE_SECONDS` | how long the scan keeps a collection's vectors before reloading (60) |
/// | `RETRIEVAL_TIMEOUT_MS` | most of the deadline embedding and search may use; the LLM call keeps the rest (3000) |
public struct RetrievalConfiguration: Sendable {
    public enum IndexKind: String, Sendable { case scan, atlas }

    public var mongoURI: String?
    public var database: String
    public var index: IndexKind
    public var atlasIndexName: String
    public var cacheTTL: Duration
    public var timeout: Duration

    /// - Throws: `Config.Invalid` naming the variable.
    public init(environment: Environment) throws(ConfigurationError) {
        mongoURI = MongoChunkStore.uri(in: environment)
        database = environment.string("RETRIEVAL_DATABASE", default: "switchyard")
        let kind = environment.string("RETRIEVAL_INDEX", default: "scan")
        guard let index = IndexKind(rawValue: kind) else {
            throw .invalid(variable: "RETRIEVAL_INDEX", value: kind, expected: "scan or atlas")
        }
        self.index = index
        atlasIndexName = environment.string("RETRIEVAL_ATLAS_INDEX", default: "chunks_vector")
        cacheTTL = .seconds(try environment.int("RETRIEVAL_CACHE_SECONDS", default: 60, range: 0...86_400))
        timeout = .milliseconds(try environment.int("RETRIEVAL_TIMEOUT_MS", default: 3_000, range: 1...900_000))
    }
}
