import CMongoC
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// One libmongoc client and the few operations the usage store needs.
///
/// A `mongoc_client_t` is not thread-safe; the owner serialises access (`MongoUsageSink` keeps it
/// in a `Mutex`). Only standard commands are used (bulk write, update, find, aggregate,
/// createIndexes, hello), so any MongoDB server, Atlas or SecantusDB works.
///
/// Every round trip is bounded by the operation's deadline (`fit(deadline:)`): server selection
/// and socket timeouts are cut to fit it, reads carry `maxTimeMS`, majority writes `wtimeout`,
/// and a round trip that could not finish in time is not started.
package final class MongoConnection {
    private static let initialised: Bool = {
        _ = OpenSSLStart.once
        mongoc_init()
        return true
    }()

    let database: String
    /// The URI as configured; each client is built from a copy with the fitted timeouts.
    private let baseURI: OpaquePointer
    private var client: OpaquePointer?
    private var collections: [String: OpaquePointer] = [:]
    /// Server selection and socket timeouts of the configuration (or the URI, when it sets them).
    private let configured: Timeouts
    /// The timeouts of the current client.
    private(set) var effective: Timeouts
    /// The current operation's deadline: a round trip starts only if it can end before it.
    var deadline: ContinuousClock.Instant = .now
    /// Whether the server is a replica-set member (from `hello`); decides `durable`'s `w`.
    var replicaSet = false
    /// Billing and relaxed write concerns and their `wtimeout` ceiling.
    let billingConcern: UsageWriteConcern
    let relaxedConcern: UsageWriteConcern
    let writeTimeoutMilliseconds: Int64

    struct Timeouts: Equatable {
        var selection: Int32
        var socket: Int32
    }

    /// Which write concern a write uses.
    package enum Durability {
        /// Raw records, rollup claims, bucket and ledger increments, batch completion, reservations:
        /// what must survive a crash once acknowledged.
        case billing
        /// Writes whose loss is harmless or on the safe side: a reservation's close (it expires), a
        /// bulk load's buckets (the load is run again), derived caches.
        case relaxed
    }

    /// A connection with the settings of `configuration` (URI, database, timeouts, write concerns);
    /// what every store built on the usage store's configuration opens.
    /// - Throws: `Config.Invalid` for a URI libmongoc rejects (the URI itself is never repeated).
    package static func open(_ configuration: MongoUsageConfiguration) throws(ConfigurationError) -> MongoConnection {
        do {
            return try MongoConnection(
                uri: configuration.uri, database: configuration.database,
                serverSelectionTimeoutMS: Int32(configuration.serverSelectionTimeoutMilliseconds),
                socketTimeoutMS: Int32(configuration.socketTimeoutMilliseconds),
                billing: configuration.writeConcern, relaxed: configuration.relaxedWriteConcern,
                writeTimeoutMS: Int64(configuration.writeTimeoutMilliseconds))
        } catch {
            throw .invalid(
                variable: "MONGODB_URI", value: "(hidden)", expected: "a MongoDB connection string (\(error.message))")
        }
    }

    /// Parses the URI; connects lazily on the first operation.
    package init(
        uri text: String, database: String, serverSelectionTimeoutMS: Int32, socketTimeoutMS: Int32,
        billing: UsageWriteConcern = .durable, relaxed: UsageWriteConcern = .fast, writeTimeoutMS: Int64 = 10_000
    ) throws(MongoFailure) {
        _ = Self.initialised
        var error = bson_error_t()
        guard let uri = mongoc_uri_new_with_error(text, &error) else { throw MongoFailure(error) }
        // Keep trying within the timeout instead of failing on the first refused connection and
        // then waiting out libmongoc's 5 s cooldown: a restarting database is back sooner.
        if !mongoc_uri_has_option(uri, MONGOC_URI_SERVERSELECTIONTRYONCE) {
            mongoc_uri_set_option_as_bool(uri, MONGOC_URI_SERVERSELECTIONTRYONCE, false)
        }
        configured = Timeouts(
            selection: mongoc_uri_get_option_as_int32(
                uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, serverSelectionTimeoutMS),
            socket: mongoc_uri_get_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, socketTimeoutMS))
        effective = configured
        baseURI = uri
        self.database = database
        billingConcern = billing
        relaxedConcern = relaxed
        writeTimeoutMilliseconds = writeTimeoutMS
    }

    deinit {
        dropClient()
        mongoc_uri_destroy(baseURI)
    }

    /// Forgets the client so the next operation connects afresh (after the store was unreachable).
    package func dropClient() {
        for collection in collections.values { mongoc_collection_destroy(collection) }
        collections = [:]
        if let client { mongoc_client_destroy(client) }
        client = nil
    }

    /// Sets the deadline of the next operations and fits the client's timeouts into it.
    ///
    /// libmongoc takes its timeouts from the URI when a client is created, so a timeout that no
    /// longer fits means a new client. The wanted value is the configured one halved until it
    /// fits in half the time left: steps, so that invocations with similar deadlines keep the
    /// same client instead of reconnecting for every few milliseconds of difference.
    package func fit(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
        let half = max(0, (deadline - .now).milliseconds / 2)
        func step(_ value: Int32) -> Int32 {
            var v = Int64(value)
            while v > half, v > 25 { v /= 2 }
            return Int32(v)
        }
        let wanted = Timeouts(selection: step(configured.selection), socket: step(configured.socket))
        if wanted != effective {
            dropClient()
            effective = wanted
        }
    }

    /// The time left, as the server's `maxTimeMS`: at least 1 ms, and at most what the server accepts
    /// (a 32-bit count), whatever deadline the invocation brought. Never past seven eighths of the
    /// socket timeout either: the server stops a query before the client stops waiting for it, so
    /// a query the client gave up on does not keep a one-process server (SecantusDB) busy while the
    /// next ones queue behind it.
    private var serverTimeLimit: Int64 {
        let left = (deadline - .now).milliseconds
        let socket = Int64(effective.socket)
        return min(Int64(Int32.max), max(1, socket > 0 ? min(left, socket - socket / 8) : left))
    }

    /// Throws (as "unavailable") when one more round trip could end after the deadline.
    private func checkDeadline(connecting: Bool = false) throws(MongoFailure) {
        let remaining = (deadline - .now).milliseconds
        let worst = Int64(effective.socket) + (connecting || client == nil ? Int64(effective.selection) : 0)
        if remaining < worst { throw MongoFailure.deadline(remainingMilliseconds: remaining) }
    }

    private func connectedClient() throws(MongoFailure) -> OpaquePointer {
        if let client { return client }
        try checkDeadline(connecting: true)
        let uri = mongoc_uri_copy(baseURI)!
        defer { mongoc_uri_destroy(uri) }
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, effective.selection)
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, effective.socket)
        if !mongoc_uri_has_option(baseURI, MONGOC_URI_CONNECTTIMEOUTMS) || effective != configured {
            mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, min(effective.selection, 2000))
        }
        var error = bson_error_t()
        guard let created = mongoc_client_new_from_uri_with_error(uri, &error) else { throw MongoFailure(error) }
        mongoc_client_set_appname(created, "switchyard-usage")
        mongoc_client_set_error_api(created, 2)
        client = created
        return created
    }

    func collection(_ name: String) throws(MongoFailure) -> OpaquePointer {
        try checkDeadline()
        if let existing = collections[name] { return existing }
        let created = mongoc_client_get_collection(try connectedClient(), database, name)!
        collections[name] = created
        return created
    }

    /// `{writeConcern: …}` (plus `extra` options) for a write, with `wtimeout` cut to the time
    /// left. Built through libmongoc's write concern API, which checks and encodes the fields as
    /// the server expects them (int32 `w`, `wtimeout`).
    func writeOptions(_ durability: Durability, extra: JSONObject = [:]) -> BSONDocument {
        let concern = durability == .billing ? billingConcern : relaxedConcern
        let wtimeout = min(writeTimeoutMilliseconds, max(1, (deadline - .now).milliseconds))
        let document = concern.document(replicaSet: replicaSet, writeTimeoutMilliseconds: wtimeout)
        let options = BSONDocument(extra)
        let wc = mongoc_write_concern_new()!
        defer { mongoc_write_concern_destroy(wc) }
        if document["w"]?.stringValue == "majority" {
            mongoc_write_concern_set_wmajority(wc, Int32(clamping: wtimeout))
        } else {
            mongoc_write_concern_set_w(wc, Int32(clamping: document["w"]?.int64Value ?? 1))
        }
        if document["j"]?.boolValue == true { mongoc_write_concern_set_journal(wc, true) }
        _ = mongoc_write_concern_append(wc, options.pointer)
        return options
    }

    /// The concrete write concern documents in force, for the log.
    var concernSummary: String {
        let billing = JSON.object(
            billingConcern.document(replicaSet: replicaSet, writeTimeoutMilliseconds: writeTimeoutMilliseconds))
        let relaxed = JSON.object(
            relaxedConcern.document(replicaSet: replicaSet, writeTimeoutMilliseconds: writeTimeoutMilliseconds))
        return "billing writes \(billing.serializedString), relaxed writes \(relaxed.serializedString)"
            + (replicaSet ? " (replica set)" : " (standalone)")
    }

    // MARK: - Operations

    /// One write of a bulk: update (or replace) the first document matching `filter`.
    package struct UpdateOne {
        var filter: BSONDocument
        var update: BSONDocument
        var upsert: Bool

        init(filter: JSONObject, update: BSONDocument, upsert: Bool) {
            self.filter = filter.bson
            self.update = update
            self.upsert = upsert
        }

        package init(filter: JSONObject, update: JSONObject, upsert: Bool) {
            self.init(filter: filter, update: update.bson, upsert: upsert)
        }
    }

    /// The parts of a bulk reply the usage store reads.
    package struct BulkResult {
        package var matched: Int = 0
        package var modified: Int = 0
        package var upsertedIndices: Set<Int> = []
        /// (index in the bulk, server error code, message)
        package var writeErrors: [(index: Int, code: Int64, message: String)] = []
    }

    /// Executes a bulk of updates (unordered unless `ordered`: then in order, each seeing the ones
    /// before, stopping at the first write error) with the write concern of `durability`.
    /// Per-document write errors come back in the result; a failure of the whole bulk (network,
    /// selection, write concern) throws.
    package func bulkUpdate(
        _ name: String, _ operations: [UpdateOne], durability: Durability, ordered: Bool = false
    ) throws(MongoFailure) -> BulkResult {
        guard !operations.isEmpty else { return BulkResult() }
        let target = try collection(name)
        let options = writeOptions(durability, extra: ["ordered": .bool(ordered)])
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
        return try execute(bulk, &error)
    }

    /// `updateMany`; returns (matched, modified).
    @discardableResult
    func updateMany(_ name: String, filter: JSONObject, update: JSONObject, durability: Durability)
        throws(MongoFailure) -> (Int, Int)
    {
        let reply = BSONDocument()
        var error = bson_error_t()
        let target = try collection(name)
        let (selector, changes, options) = (filter.bson, update.bson, writeOptions(durability))
        let ok = withExtendedLifetime((selector, changes, options)) {
            mongoc_collection_update_many(
                target, selector.pointer, changes.pointer, options.pointer, reply.pointer, &error)
        }
        guard ok else { throw MongoFailure(error) }
        let json = reply.json()
        return (Int(json["matchedCount"]?.int64Value ?? 0), Int(json["modifiedCount"]?.int64Value ?? 0))
    }

    /// All documents matching `filter` (with `options` such as projection, sort, limit); the
    /// server stops it at the deadline (`maxTimeMS`).
    package func find(_ name: String, filter: JSONObject, options: JSONObject = [:]) throws(MongoFailure) -> [JSON] {
        let target = try collection(name)
        var settings = options
        settings["maxTimeMS"] = .integer(serverTimeLimit)
        let (query, bsonSettings) = (filter.bson, settings.bson)
        let cursor = withExtendedLifetime((query, bsonSettings)) {
            mongoc_collection_find_with_opts(target, query.pointer, bsonSettings.pointer, nil)!
        }
        return try drain(cursor)
    }

    /// `deleteMany`; returns the number deleted.
    @discardableResult
    package func deleteMany(_ name: String, filter: JSONObject, durability: Durability) throws(MongoFailure) -> Int {
        let reply = BSONDocument()
        var error = bson_error_t()
        let target = try collection(name)
        let (selector, options) = (filter.bson, writeOptions(durability))
        let ok = withExtendedLifetime((selector, options)) {
            mongoc_collection_delete_many(target, selector.pointer, options.pointer, reply.pointer, &error)
        }
        guard ok else { throw MongoFailure(error) }
        return Int(reply.json()["deletedCount"]?.int64Value ?? 0)
    }

    /// Runs an aggregation pipeline; the server stops it at the deadline (`maxTimeMS`).
    package func aggregate(_ name: String, pipeline: [JSON]) throws(MongoFailure) -> [JSON] {
        let stages = BSONDocument()
        for (i, stage) in pipeline.enumerated() { stages.append(String(i), stage) }
        let target = try collection(name)
        let options = BSONDocument(["maxTimeMS": .integer(serverTimeLimit)])
        let cursor = withExtendedLifetime((stages, options)) {
            mongoc_collection_aggregate(target, MONGOC_QUERY_NONE, stages.pointer, options.pointer, nil)!
        }
        return try drain(cursor)
    }

    /// Sets `replicaSet` from the `hello` reply libmongoc's handshake got when it selected the
    /// server for writes: the connection the first write needs anyway, without a `hello` round trip
    /// of our own (libmongoc handshakes with `isMaster` where a server predates `hello`).
    package func learnTopology() throws(MongoFailure) {
        try checkDeadline()
        var error = bson_error_t()
        guard let description = mongoc_client_select_server(try connectedClient(), true, nil, &error) else {
            throw MongoFailure(error)
        }
        defer { mongoc_server_description_destroy(description) }
        guard let hello = mongoc_server_description_hello_response(description) else {
            throw MongoFailure(
                domain: MONGOC_ERROR_SERVER_SELECTION.rawValue, code: 0,
                message: "the selected server has no hello reply")
        }
        replicaSet = BSONDocument.json(of: hello)["setName"]?.stringValue != nil
    }

    /// Runs a database command (e.g. `createIndexes`, `ping`, `hello`).
    @discardableResult
    package func command(_ command: JSONObject) throws(MongoFailure) -> JSON {
        try checkDeadline()
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

extension MongoConnection {
    /// Runs a prepared bulk and reads its reply: counts, upserted indices and per-document write
    /// errors; a write concern error or a failure of the whole bulk throws.
    func execute(_ bulk: OpaquePointer, _ error: inout bson_error_t) throws(MongoFailure) -> BulkResult {
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
        // A write concern error (journal or majority not confirmed) means the write may not be
        // durable: never report it as done.
        if let concern = json["writeConcernErrors"]?.arrayValue?.first {
            throw MongoFailure(
                domain: MongoFailure.writeConcernDomain, code: UInt32(clamping: concern["code"]?.int64Value ?? 64),
                message: "write concern not satisfied: \(concern["errmsg"]?.stringValue ?? "")")
        }
        if !ok && result.writeErrors.isEmpty { throw MongoFailure(error) }
        return result
    }
}
