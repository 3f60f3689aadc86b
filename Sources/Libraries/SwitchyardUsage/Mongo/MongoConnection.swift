import CMongoC
import SwitchyardJSON

/// One libmongoc client and the few operations the usage store needs.
///
/// A `mongoc_client_t` is not thread-safe; the owner serialises access (`MongoUsageSink` keeps it
/// in a `Mutex`). Only standard commands are used (bulk write, update, find, aggregate,
/// createIndexes), so any MongoDB server, Atlas or SecantusDB works.
final class MongoConnection {
    private static let initialised: Bool = {
        mongoc_init()
        return true
    }()

    let database: String
    private let uri: OpaquePointer
    private var client: OpaquePointer?
    private var collections: [String: OpaquePointer] = [:]

    /// Parses the URI; connects lazily on the first operation.
    /// - Parameter serverSelectionTimeoutMS: how long one attempt waits for a server, unless the URI says.
    init(uri text: String, database: String, serverSelectionTimeoutMS: Int32) throws(MongoFailure) {
        _ = Self.initialised
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else { throw MongoFailure(error) }
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS) {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, serverSelectionTimeoutMS)
        }
        if !mongoc_uri_has_option(uri, MONGOC_URI_CONNECTTIMEOUTMS) {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, min(serverSelectionTimeoutMS, 2000))
        }
        // Keep trying within the timeout instead of failing on the first refused connection and
        // then waiting out libmongoc's 5 s cooldown: a restarting database is back sooner.
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTRYONCE) {
            mongoc_uri_set_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, false)
        }
        self.uri = uri
        self.database = database
    }

    deinit {
        dropClient()
        mongoc_uri_destroy(uri)
    }

    /// Forgets the client so the next operation connects afresh (after the store was unreachable).
    func dropClient() {
        for collection in collections.values { mongoc_collection_destroy(collection) }
        collections = [:]
        if let client { mongoc_client_destroy(client) }
        client = nil
    }

    private func connectedClient() throws(MongoFailure) -> OpaquePointer {
        if let client { return client }
        var error = bson_error_t()
        guard let created = mongoc_client_new_from_uri_with_error(uri, &error) else { throw MongoFailure(error) }
        mongoc_client_set_appname(created, "switchyard-usage")
        mongoc_client_set_error_api(created, 2)
        client = created
        return created
    }

    func collection(_ name: String) throws(MongoFailure) -> OpaquePointer {
        if let existing = collections[name] { return existing }
        let created = mongoc_client_get_collection(try connectedClient(), database, name)!
        collections[name] = created
        return created
    }

    // MARK: - Operations

    /// One write of a bulk: update (or replace) the first document matching `filter`.
    struct UpdateOne {
        var filter: BSONDocument
        var update: BSONDocument
        var upsert: Bool

        init(filter: JSONObject, update: BSONDocument, upsert: Bool) {
            self.filter = filter.bson
            self.update = update
            self.upsert = upsert
        }

        init(filter: JSONObject, update: JSONObject, upsert: Bool) {
            self.init(filter: filter, update: update.bson, upsert: upsert)
        }
    }

    /// The parts of a bulk reply the usage store reads.
    struct BulkResult {
        var matched: Int = 0
        var modified: Int = 0
        var upsertedIndices: Set<Int> = []
        /// (index in the bulk, server error code, message)
        var writeErrors: [(index: Int, code: Int64, message: String)] = []
    }

    /// Executes an unordered bulk of updates. Per-document write errors come back in the result;
    /// a failure of the whole bulk (network, selection) throws.
    func bulkUpdate(_ name: String, _ operations: [UpdateOne]) throws(MongoFailure) -> BulkResult {
        guard !operations.isEmpty else { return BulkResult() }
        let options = BSONDocument(["ordered": .bool(false)])
        let target = try collection(name)
        let bulk = withExtendedLifetime(options) {
            mongoc_collection_create_bulk_operation_with_opts(target, options.pointer)!
        }
        defer { mongoc_bulk_operation_destroy(bulk) }
        let upsert = BSONDocument(["upsert": .bool(true)])
        var error = bson_error_t()
        for operation in operations {
            let added = withExtendedLifetime((operation, upsert)) {
                mongoc_bulk_operation_update_one_with_opts(
                    bulk, operation.filter.pointer, operation.update.pointer, operation.upsert ? upsert.pointer : nil,
                    &error)
            }
            guard added else { throw MongoFailure(error) }
        }
        let reply = BSONDocument()
        let ok = mongoc_bulk_operation_execute(bulk, reply.pointer, &error) != 0
        let json = reply.json()
        var result = BulkResult()
        result.matched = Int(json["nMatched"]?.int64Value ?? 0)
        result.modified = Int(json["nModified"]?.int64Value ?? 0)
        for entry in json["upserted"]?.arrayValue ?? [] {
            if let index = entry["index"]?.int64Value { result.upsertedIndices.insert(Int(index)) }
        }
        for entry in json["writeErrors"]?.arrayValue ?? [] {
            result.writeErrors.append(
                (
                    Int(entry["index"]?.int64Value ?? -1), entry["code"]?.int64Value ?? 0,
                    entry["errmsg"]?.stringValue ?? ""
                ))
        }
        if !ok && result.writeErrors.isEmpty { throw MongoFailure(error) }
        return result
    }

    /// `updateMany`; returns (matched, modified).
    @discardableResult
    func updateMany(_ name: String, filter: JSONObject, update: JSONObject) throws(MongoFailure) -> (Int, Int) {
        let reply = BSONDocument()
        var error = bson_error_t()
        let (target, selector, changes) = (try collection(name), filter.bson, update.bson)
        let ok = withExtendedLifetime((selector, changes)) {
            mongoc_collection_update_many(target, selector.pointer, changes.pointer, nil, reply.pointer, &error)
        }
        guard ok else { throw MongoFailure(error) }
        let json = reply.json()
        return (Int(json["matchedCount"]?.int64Value ?? 0), Int(json["modifiedCount"]?.int64Value ?? 0))
    }

    /// All documents matching `filter` (with `options` such as projection, sort, limit).
    func find(_ name: String, filter: JSONObject, options: JSONObject = [:]) throws(MongoFailure) -> [JSON] {
        let (target, query, settings) = (try collection(name), filter.bson, options.bson)
        let cursor = withExtendedLifetime((query, settings)) {
            mongoc_collection_find_with_opts(target, query.pointer, settings.pointer, nil)!
        }
        return try drain(cursor)
    }

    /// `deleteMany`; returns the number deleted.
    @discardableResult
    func deleteMany(_ name: String, filter: JSONObject) throws(MongoFailure) -> Int {
        let reply = BSONDocument()
        var error = bson_error_t()
        let (target, selector) = (try collection(name), filter.bson)
        let ok = withExtendedLifetime(selector) {
            mongoc_collection_delete_many(target, selector.pointer, nil, reply.pointer, &error)
        }
        guard ok else { throw MongoFailure(error) }
        return Int(reply.json()["deletedCount"]?.int64Value ?? 0)
    }

    /// Runs an aggregation pipeline.
    func aggregate(_ name: String, pipeline: [JSON]) throws(MongoFailure) -> [JSON] {
        let stages = BSONDocument()
        for (i, stage) in pipeline.enumerated() { stages.append(String(i), stage) }
        let target = try collection(name)
        let cursor = withExtendedLifetime(stages) {
            mongoc_collection_aggregate(target, MONGOC_QUERY_NONE, stages.pointer, nil, nil)!
        }
        return try drain(cursor)
    }

    /// Runs a database command (e.g. `createIndexes`, `ping`).
    @discardableResult
    func command(_ command: JSONObject) throws(MongoFailure) -> JSON {
        let reply = BSONDocument()
        var error = bson_error_t()
        let (client, body) = (try connectedClient(), command.bson)
        let ok = withExtendedLifetime(body) {
            mongoc_client_command_simple(client, database, body.pointer, nil, reply.pointer, &error)
        }
        guard ok else { throw MongoFailure(error) }
        return reply.json()
    }

    private func drain(_ cursor: OpaquePointer) throws(MongoFailure) -> [JSON] {
        defer { mongoc_cursor_destroy(cursor) }
        var results: [JSON] = []
        var document: OpaquePointer?
        while mongoc_cursor_next(cursor, &document), let document {
            results.append(BSONDocument.json(of: document))
        }
        var error = bson_error_t()
        if mongoc_cursor_error(cursor, &error) { throw MongoFailure(error) }
        return results
    }
}
