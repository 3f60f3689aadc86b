import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

// MARK: - Exactly-once rollups without transactions
//
// Each raw document carries `h` (content hash) and, once rolled up, `a` (the contribution the
// rollups include) with `ah` (the hash it was computed from); `h ≠ ah` means "not yet rolled up".
// Rolling up a set of documents is a *batch* with a random id:
//   1. claim:   the documents get `rb` = batch and `p` = their pending contribution, `ph` = its
//               hash. A new document is claimed by the raw upsert itself (`$setOnInsert`).
//   2. buckets: per bucket, `$inc` by Σ(p − a) over the batch, guarded by `{b: {$ne: batch}}` and
//               `$push: {b: batch}`, so a bucket takes a batch at most once (a second try hits the
//               unique `_id` on upsert and is recognised as done).
//   3. finish:  one `updateMany({rb: batch}, {$rename: {p: a, ph: ah}, $unset: {rb, rbAt}})`.
// A crash after any step leaves the documents claimed; `repairRollups` resumes batches older than
// a grace period (their owner is gone) from step 2, reading every document of the batch, and
// claims documents with `h ≠ ah` that nobody claimed (a change written just before a crash).
// A duplicate delivery changes nothing (see `upsertRaw`); a changed record is rolled up as the
// delta between its new and applied contributions; so counts and sums stay exact.

extension MongoUsageSink {
    /// Completes the rollup of a raw write: the batch of documents it inserted (whose
    /// contributions are known in memory) and a new batch for the documents it changed.
    /// - Returns: bucket updates applied.
    func rollUpWritten(
        _ documents: [RawDocument], _ outcome: RawOutcome, batch: String, _ connection: MongoConnection
    ) throws(MongoFailure) -> Int {
        var buckets = 0
        if !outcome.inserted.isEmpty {
            var delta = RollupDelta()
            for index in outcome.inserted { try delta.addInStore(documents[index].contribution, sign: 1) }
            buckets += try applyBuckets(delta, batch: batch, connection)
            try finish(batch: batch, connection)
        }
        if !outcome.modified.isEmpty {
            buckets += try claimAndComplete(ids: outcome.modified.map { documents[$0].id }, connection)
        }
        return buckets
    }

    /// Claims the unclaimed documents among `ids` as a new batch and completes it.
    private func claimAndComplete(ids: [String], _ connection: MongoConnection) throws(MongoFailure) -> Int {
        let batch = Self.newBatchID()
        let (claimed, _) = try connection.updateMany(
            UsageCollections.raw,
            filter: ["_id": .object(["$in": .array(ids.map(JSON.string))]), "rb": .object(["$exists": .bool(false)])],
            update: ["$set": .object(["rb": .string(batch), "rbAt": .integer(WallClock.nowMilliseconds())])])
        return claimed == 0 ? 0 : try resume(batch: batch, connection)
    }

    /// Completes rollups left unfinished: resumes every batch claimed more than
    /// `graceMilliseconds` ago (its writer crashed or timed out), then claims and completes
    /// documents whose content is not rolled up (`h ≠ ah`) and that nobody has claimed.
    /// Use a grace of 0 only when no writer is running (tests, maintenance).
    /// - Parameter recentMilliseconds: look for unclaimed changes only among records at most this
    ///   old (by `timestamp`, through the time index); nil scans the whole collection, which is
    ///   for maintenance runs, not for every warm function.
    /// - Returns: batches resumed plus documents claimed.
    public func repairRollups(graceMilliseconds: Int64 = 60_000, recentMilliseconds: Int64? = nil)
        async throws(UsageError) -> Int
    {
        try await withStore { connection throws(MongoFailure) in
            var repaired = 0
            let cutoff = WallClock.nowMilliseconds() - graceMilliseconds
            var seen: Set<String> = []
            while true {
                let stale = try connection.find(
                    UsageCollections.raw,
                    filter: ["rb": .object(["$exists": .bool(true)]), "rbAt": .object(["$lte": .integer(cutoff)])],
                    options: ["projection": .object(["rb": .integer(1)]), "limit": .integer(1000)])
                let batches = Set(stale.compactMap { $0["rb"]?.stringValue }).subtracting(seen)
                if batches.isEmpty { break }
                for batch in batches.sorted() {
                    _ = try self.resume(batch: batch, connection)
                    seen.insert(batch)
                    repaired += 1
                }
            }
            var unrolledFilter: JSONObject = [
                "$expr": .object(["$ne": .array([.string("$h"), .string("$ah")])]),
                "rb": .object(["$exists": .bool(false)]),
            ]
            if let recentMilliseconds {
                unrolledFilter["timestamp"] = .object([
                    "$gte": .integer(WallClock.nowMilliseconds() - recentMilliseconds)
                ])
            }
            while true {
                let unrolled = try connection.find(
                    UsageCollections.raw, filter: unrolledFilter,
                    options: ["projection": .object(["_id": .integer(1)]), "limit": .integer(1000)])
                let ids = unrolled.compactMap { $0["_id"]?.stringValue }
                if ids.isEmpty { break }
                _ = try self.claimAndComplete(ids: ids, connection)
                repaired += ids.count
            }
            return repaired
        }
    }

    /// Steps 1 (where `p` is missing), 2 and 3 for one batch, from all of its documents.
    func resume(batch: String, _ connection: MongoConnection) throws(MongoFailure) -> Int {
        var documents = try connection.find(UsageCollections.raw, filter: ["rb": .string(batch)])
        var operations: [MongoConnection.UpdateOne] = []
        for (i, document) in documents.enumerated() where document["p"] == nil {
            guard let id = document["_id"]?.stringValue else { continue }
            let pending = Self.contribution(of: document)?.document ?? .null
            let hash = document["h"] ?? .null
            documents[i] = Self.setting(Self.setting(document, "p", pending), "ph", hash)
            operations.append(
                MongoConnection.UpdateOne(
                    filter: ["_id": .string(id), "rb": .string(batch), "p": .object(["$exists": .bool(false)])],
                    update: ["$set": .object(["p": pending, "ph": hash])], upsert: false))
        }
        if !operations.isEmpty {
            let result = try connection.bulkUpdate(UsageCollections.raw, operations)
            if let failure = result.writeErrors.first {
                throw MongoFailure(
                    domain: 0, code: UInt32(clamping: failure.code), message: "rollup pending: \(failure.message)")
            }
            if result.matched < operations.count {
                // Another process resumed this batch at the same time, or finished it: use what is stored.
                documents = try connection.find(UsageCollections.raw, filter: ["rb": .string(batch)])
            }
        }
        var delta = RollupDelta()
        for document in documents {
            if let applied = RollupContribution(document: document["a"]) { try delta.addInStore(applied, sign: -1) }
            if let pending = RollupContribution(document: document["p"]) { try delta.addInStore(pending, sign: 1) }
        }
        let buckets = try applyBuckets(delta, batch: batch, connection)
        try finish(batch: batch, connection)
        return buckets
    }

    /// Step 2: one guarded `$inc` per bucket with a non-zero delta.
    private func applyBuckets(_ delta: RollupDelta, batch: String, _ connection: MongoConnection) throws(MongoFailure)
        -> Int
    {
        let changes = delta.nonZero
        let operations = changes.map { change -> MongoConnection.UpdateOne in
            var increments = JSONObject()
            for (i, value) in change.values.enumerated() where value != 0 {
                increments.members.append((RollupContribution.fields[i], .integer(value)))
            }
            let key = change.key
            return MongoConnection.UpdateOne(
                filter: ["_id": .string(change.id), "b": .object(["$ne": .string(batch)])],
                update: [
                    "$inc": .object(increments), "$push": .object(["b": .string(batch)]),
                    "$setOnInsert": .object([
                        "minute": .integer(key.minute), "tenant": .string(key.tenant), "step": .string(key.step),
                        "model": .string(key.model), "backend": .string(key.backend),
                    ]),
                ], upsert: true)
        }
        let result = try connection.bulkUpdate(UsageCollections.rollups, operations)
        for failure in result.writeErrors where failure.code != 11000 {
            throw MongoFailure(
                domain: 0, code: UInt32(clamping: failure.code), message: "rollup bucket: \(failure.message)")
        }
        return changes.count
    }

    /// Step 3: the pending contribution becomes the applied one, for every document of the batch.
    private func finish(batch: String, _ connection: MongoConnection) throws(MongoFailure) {
        try connection.updateMany(
            UsageCollections.raw, filter: ["rb": .string(batch)],
            update: [
                "$rename": .object(["p": .string("a"), "ph": .string("ah")]),
                "$unset": .object(["rb": .string(""), "rbAt": .string("")]),
            ])
    }

    /// The contribution of a stored raw document (nil if it does not decode as a usage record).
    static func contribution(of document: JSON) -> RollupContribution? {
        guard let record = try? JSON.decode(UsageRecord.self, from: document) else { return nil }
        return RollupContribution(record: record)
    }

    static func setting(_ document: JSON, _ key: String, _ value: JSON) -> JSON {
        guard case .object(var object) = document else { return document }
        object[key] = value
        return .object(object)
    }

    static func newBatchID() -> String {
        "\(WallClock.nowMilliseconds())-\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
    }
}
