import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// One small MongoDB collection that is not usage (the front door's API keys): find, and an
/// upsert of one document by `_id`, both bounded by a deadline, over the usage store's connection
/// code (same URI handling, timeouts fitted to the deadline, journaled writes).
public final class MongoDocuments: Sendable {
    public let collection: String
    private struct Box: @unchecked Sendable {
        // Only touched while the mutex is held (a libmongoc client is not thread-safe).
        var connection: MongoConnection
    }
    private let state: Mutex<Box>

    /// Parses the URI; no I/O happens until the first operation.
    /// - Throws: `Config.Invalid` for a URI libmongoc rejects.
    public init(configuration: MongoUsageConfiguration, collection: String) throws(ConfigurationError) {
        self.collection = collection
        state = Mutex(Box(connection: try MongoConnection.open(configuration)))
    }

    /// Every document matching `filter` (at most `limit`).
    /// - Throws: `Usage.StoreUnavailable` when the server cannot be reached in time,
    ///   `Usage.StoreRejected` for anything else it refused.
    public func find(_ filter: JSONObject, limit: Int = 100_000, deadline: ContinuousClock.Instant)
        throws(UsageError) -> [JSON]
    {
        try run(deadline) { (connection) throws(MongoFailure) in
            try connection.find(collection, filter: filter, options: ["limit": .integer(Int64(limit))])
        }
    }

    /// Replaces (or inserts) the document whose `_id` is `id`, journaled.
    /// - Throws: as `find`.
    public func upsert(id: String, _ document: JSONObject, deadline: ContinuousClock.Instant) throws(UsageError) {
        var replacement = document
        replacement["_id"] = nil
        let update: JSONObject = ["$set": .object(replacement)]
        _ = try run(deadline) { (connection) throws(MongoFailure) in
            try connection.bulkUpdate(
                collection, [.init(filter: ["_id": .string(id)], update: update, upsert: true)], durability: .billing)
        }
    }

    private func run<T>(_ deadline: ContinuousClock.Instant, _ body: (MongoConnection) throws(MongoFailure) -> T)
        throws(UsageError) -> T
    {
        let result: Result<T, MongoFailure> = state.withLock { box in
            box.connection.fit(deadline: deadline)
            do throws(MongoFailure) { return .success(try body(box.connection)) } catch {
                if error.isUnavailable { box.connection.dropClient() }
                return .failure(error)
            }
        }
        switch result {
        case .success(let value): return value
        case .failure(let failure):
            if failure.isUnavailable {
                throw .storeUnavailable(attempts: 1, detail: failure.message)
            }
            throw .storeRejected(detail: failure.message)
        }
    }
}
