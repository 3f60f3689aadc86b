import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

/// Jobs in MongoDB (decisions.md "Batch": job state lives in MongoDB behind the job API):
/// `batch_jobs` (one small document per job) and `batch_chunks` (a chunk's items and results).
/// Writes are journaled. The blocking libmongoc calls run on `pool`.
public final class MongoBatchJobStore: BatchJobStore {
    public static let jobsCollection = "batch_jobs"
    public static let chunksCollection = "batch_chunks"
    let jobs: MongoDocuments
    let chunks: MongoDocuments
    let pool: BlockingPool

    /// - Throws: `Config.Invalid` for a URI libmongoc rejects.
    public init(configuration: MongoUsageConfiguration, pool: BlockingPool) throws(ConfigurationError) {
        jobs = try MongoDocuments(configuration: configuration, collection: Self.jobsCollection)
        chunks = try MongoDocuments(configuration: configuration, collection: Self.chunksCollection)
        self.pool = pool
    }

    public func save(_ job: BatchJob, deadline: ContinuousClock.Instant) async throws(UsageError) {
        let document = try Self.document(job)
        try await blocking { () throws(UsageError) in try self.jobs.upsert(id: job.id, document, deadline: deadline) }
    }

    public func save(_ chunk: BatchChunk, deadline: ContinuousClock.Instant) async throws(UsageError) {
        let document = try Self.document(chunk)
        try await blocking { () throws(UsageError) in
            try self.chunks.upsert(id: chunk.id, document, deadline: deadline)
        }
    }

    public func job(_ id: String, tenant: String, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> BatchJob?
    {
        let found = try await blocking { () throws(UsageError) in
            try self.jobs.find(["_id": .string(id), "tenant": .string(tenant)], limit: 1, deadline: deadline)
        }
        return try found.first.map { (document) throws(UsageError) in try Self.decode(BatchJob.self, document) }
    }

    public func chunks(ofJob id: String, deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchChunk] {
        let found = try await blocking { () throws(UsageError) in
            try self.chunks.find(["job": .string(id)], deadline: deadline)
        }
        var result: [BatchChunk] = []
        for document in found { result.append(try Self.decode(BatchChunk.self, document)) }
        return result.sorted { $0.index < $1.index }
    }

    public func unfinished(deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchJob] {
        let filter: JSONObject = [
            "status": .object(["$in": .array([.string("queued"), .string("in_progress")])])
        ]
        let found = try await blocking { () throws(UsageError) in try self.jobs.find(filter, deadline: deadline) }
        var result: [BatchJob] = []
        for document in found { result.append(try Self.decode(BatchJob.self, document)) }
        return result.sorted { $0.createdAtMs < $1.createdAtMs }
    }

    private func blocking<T: Sendable>(_ body: @escaping @Sendable () throws(UsageError) -> T) async throws(UsageError)
        -> T
    {
        let result: Result<T, UsageError> = await withTaskExecutorPreference(pool) {
            do throws(UsageError) { return .success(try body()) } catch { return .failure(error) }
        }
        return try result.get()
    }

    static func document(_ value: some Encodable) throws(UsageError) -> JSONObject {
        guard case .object(let object) = try? JSON.encodeToJSON(value) else {
            throw .invalidRecord(index: -1, detail: "a batch document cannot be encoded")
        }
        return object
    }

    static func decode<T: Decodable>(_ type: T.Type, _ document: JSON) throws(UsageError) -> T {
        do { return try JSON.decode(type, from: document) } catch {
            throw .storeRejected(detail: "a stored \(type) does not decode: \(String(describing: error).prefix(200))")
        }
    }
}
