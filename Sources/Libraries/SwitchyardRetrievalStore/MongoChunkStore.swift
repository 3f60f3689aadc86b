import SwitchyardCore
import SwitchyardJSON
import SwitchyardRetrieval
import SwitchyardUsage
import Synchronization

/// The chunk collection in MongoDB: one document per chunk with its text, source, position,
/// heading, content hash, embedding model and vector (`embedding`, an array of doubles, the
/// field the Atlas index covers). Every read and write names the tenant, so one tenant's
/// collection is invisible to another whatever collection name it asks for.
///
/// Uses the usage store's MongoDB connection (standard commands only, deadline-bounded), so any
/// server works: Atlas, MongoDB, SecantusDB. A connection is not thread-safe; a mutex serialises it.
public final class MongoChunkStore: Sendable {
    public static let collectionName = "retrieval_chunks"
    private let connection: Mutex<Session>

    /// The connection, only ever used under the mutex.
    struct Session: @unchecked Sendable { let connection: MongoConnection }

    /// - Throws: `Retrieval.StoreUnavailable` for a URI libmongoc cannot parse.
    public init(uri: String, database: String) throws(RetrievalError) {
        do {
            connection = Mutex(
                Session(
                    connection: try MongoConnection(
                        uri: uri, database: database, serverSelectionTimeoutMS: 5_000, socketTimeoutMS: 10_000)))
        } catch {
            throw .storeUnavailable("retrieval store URI: \(error.description.prefix(200))")
        }
    }

    /// The chunk store's MongoDB URI: `RETRIEVAL_MONGODB_URI`, else the usage store's `MONGODB_URI`
    /// (one Atlas cluster serves both on AWS); nil when neither is set.
    public static func uri(in environment: Environment) -> String? {
        ["RETRIEVAL_MONGODB_URI", "MONGODB_URI"].lazy.compactMap { environment[$0] }.first { !$0.isEmpty }
    }

    /// Runs `body` on the connection within `deadline`. `search`: an Atlas Search command, whose
    /// `CommandNotSupported` means the server has no Atlas Search.
    private func run<T: Sendable>(
        deadline: ContinuousClock.Instant, search: Bool = false, _ body: (MongoConnection) throws(MongoFailure) -> T
    ) throws(RetrievalError) -> T {
        let result: Result<T, MongoFailure> = connection.withLock { session in
            let connection = session.connection
            connection.fit(deadline: deadline)
            do throws(MongoFailure) { return .success(try body(connection)) } catch {
                if error.isUnavailable { connection.dropClient() }
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let error) where search && error.isCommandNotSupported:
            throw .searchUnsupported(
                "the server has no Atlas Search (CommandNotSupported): create the index on an Atlas cluster; "
                    + "without Atlas, use RETRIEVAL_INDEX=scan")
        case .failure(let error): throw .storeUnavailable("retrieval store: \(error.description.prefix(240))")
        }
    }

    /// Creates the lookup index (tenant, collection, source). The Atlas vector index is created
    /// separately (`ensureVectorIndex`, scripts/atlas-index), since only Atlas accepts it.
    public func ensureIndexes(deadline: ContinuousClock.Instant) throws(RetrievalError) {
        _ = try run(deadline: deadline) { c throws(MongoFailure) in
            try c.command([
                "createIndexes": .string(Self.collectionName),
                "indexes": .array([
                    .object([
                        "key": .object(["tenantId": 1, "collection": 1, "source": 1]),
                        "name": "tenant_collection_source",
                    ])
                ]),
            ])
        }
    }

    /// The stored chunks of one document (for the ingest plan): id, hash, position, model.
    public func stored(tenantID: String, collection: String, source: String, deadline: ContinuousClock.Instant)
        throws(RetrievalError) -> [(id: String, hash: String, position: Int, model: String)]
    {
        let documents = try run(deadline: deadline) { c throws(MongoFailure) in
            try c.find(
                Self.collectionName,
                filter: ["tenantId": .string(tenantID), "collection": .string(collection), "source": .string(source)],
                options: ["projection": .object(["hash": 1, "position": 1, "embeddingModel": 1])])
        }
        return documents.compactMap { d in
            guard let id = d["_id"]?.stringValue, let hash = d["hash"]?.stringValue,
                let position = d["position"]?.int64Value, let model = d["embeddingModel"]?.stringValue
            else { return nil }
            return (id, hash, Int(position), model)
        }
    }

    /// Applies an ingest plan: inserts the embedded chunks (`vectors[i]` for `plan.toEmbed[i]`),
    /// moves and deletes. Upserts by id, so a repeated apply changes nothing.
    /// - Throws: `Retrieval.InvalidInput` when vectors and chunks differ in number; `Retrieval.StoreUnavailable`.
    public func apply(
        _ plan: IngestPlan, vectors: [[Float]], tenantID: String, collection: String, embeddingModel: String,
        deadline: ContinuousClock.Instant
    ) throws(RetrievalError) {
        guard vectors.count == plan.toEmbed.count else {
            throw .invalidInput("\(vectors.count) vectors for \(plan.toEmbed.count) chunks")
        }
        var operations: [MongoConnection.UpdateOne] = []
        for (chunk, vector) in zip(plan.toEmbed, vectors) {
            let id = IngestPlan.chunkID(tenantID: tenantID, collection: collection, chunk: chunk)
            var document: JSONObject = [
                "tenantId": .string(tenantID), "collection": .string(collection),
                "source": .string(chunk.source), "position": .integer(Int64(chunk.position)),
                "text": .string(chunk.text), "hash": .string(chunk.hash),
                "embeddingModel": .string(embeddingModel), "dimensions": .integer(Int64(vector.count)),
                "embedding": .array(vector.map { .double(Double($0)) }),
            ]
            if let heading = chunk.heading { document["heading"] = .string(heading) }
            operations.append(.init(filter: ["_id": .string(id)], update: ["$set": .object(document)], upsert: true))
        }
        for (id, chunk) in plan.toMove {
            operations.append(
                .init(
                    filter: ["_id": .string(id)],
                    update: ["$set": .object(["position": .integer(Int64(chunk.position))])], upsert: false))
        }
        let writeError: String? = try run(deadline: deadline) { c throws(MongoFailure) in
            // Bulks of 500 keep each command well under MongoDB's 48 MB message limit (384 doubles ≈ 4 KB).
            var start = 0
            while start < operations.count {
                let end = min(start + 500, operations.count)
                let result = try c.bulkUpdate(Self.collectionName, Array(operations[start..<end]), durability: .billing)
                if let first = result.writeErrors.first { return "write error \(first.code): \(first.message)" }
                start = end
            }
            if !plan.toDelete.isEmpty {
                try c.deleteMany(
                    Self.collectionName,
                    filter: [
                        "tenantId": .string(tenantID),
                        "_id": .object(["$in": .array(plan.toDelete.map { .string($0) })]),
                    ], durability: .billing)
            }
            return nil
        }
        if let writeError { throw .storeUnavailable("retrieval store: \(writeError.prefix(240))") }
    }

    /// Every chunk of one tenant's collection embedded with `embeddingModel`, vectors included:
    /// what the exact scan caches.
    public func load(
        tenantID: String, collection: String, embeddingModel: String, deadline: ContinuousClock.Instant
    ) throws(RetrievalError) -> [StoredChunk] {
        let documents = try run(deadline: deadline) { c throws(MongoFailure) in
            try c.find(
                Self.collectionName,
                filter: [
                    "tenantId": .string(tenantID), "collection": .string(collection),
                    "embeddingModel": .string(embeddingModel),
                ])
        }
        return documents.compactMap { Self.chunk($0, withVector: true) }
    }

    /// Creates or updates the Atlas Vector Search index `name` for `dimensions`-long vectors, unless
    /// it already has that definition (idempotent): `$listSearchIndexes`, then the planned
    /// `createSearchIndexes` or `updateSearchIndex` (`AtlasQuery.indexPlan`). Ensures the lookup
    /// index first, which also creates the collection Atlas needs to exist.
    /// - Throws: `Retrieval.SearchUnsupported` when the server has no Atlas Search (MongoDB
    ///   Community, SecantusDB: `CommandNotSupported`); `Retrieval.InvalidInput`; `Retrieval.StoreUnavailable`.
    public func ensureVectorIndex(name: String, dimensions: Int, deadline: ContinuousClock.Instant)
        throws(RetrievalError) -> AtlasIndexPlan
    {
        try ensureIndexes(deadline: deadline)
        let existing = try run(deadline: deadline, search: true) { c throws(MongoFailure) in
            try c.aggregate(Self.collectionName, pipeline: AtlasQuery.listSearchIndexes(name: name))
        }
        let plan = try AtlasQuery.indexPlan(
            existing: existing, collection: Self.collectionName, dimensions: dimensions, name: name)
        if let command = plan.command {
            _ = try run(deadline: deadline, search: true) { c throws(MongoFailure) in try c.command(command) }
        }
        return plan
    }

    /// Runs an aggregation on the chunk collection (the Atlas index's `$vectorSearch`).
    func aggregate(_ pipeline: [JSON], deadline: ContinuousClock.Instant) throws(RetrievalError) -> [JSON] {
        try run(deadline: deadline) { c throws(MongoFailure) in try c.aggregate(Self.collectionName, pipeline: pipeline)
        }
    }

    /// A stored document as a chunk; nil when a field is missing or out of range.
    static func chunk(_ d: JSON, withVector: Bool) -> StoredChunk? {
        guard let id = d["_id"]?.stringValue, let tenant = d["tenantId"]?.stringValue,
            let collection = d["collection"]?.stringValue, let source = d["source"]?.stringValue,
            let position = d["position"]?.int64Value, (0...Int64(Chunker.maxChunks)).contains(position),
            let text = d["text"]?.stringValue, let hash = d["hash"]?.stringValue,
            let model = d["embeddingModel"]?.stringValue
        else { return nil }
        var vector: [Float] = []
        if withVector {
            guard let values = d["embedding"]?.arrayValue, (1...16_384).contains(values.count) else { return nil }
            vector.reserveCapacity(values.count)
            for value in values {
                guard let x = value.doubleValue, x.isFinite else { return nil }
                vector.append(Float(x))
            }
        }
        return StoredChunk(
            id: id, tenantID: tenant, collection: collection,
            chunk: DocumentChunk(
                source: source, position: Int(position), heading: d["heading"]?.stringValue, text: text, hash: hash),
            embeddingModel: model, vector: vector)
    }
}
