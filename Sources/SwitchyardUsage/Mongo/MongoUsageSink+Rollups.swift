import SwitchyardCore
import SwitchyardJSON

// MARK: - Exactly-once rollups without transactions
//
// A raw write marks the document `dirty`. Rolling up then goes:
//   1. claim:   dirty, unclaimed documents of this write get `rb` = a new batch id (one updateMany).
//   2. pending: each claimed document gets `pending` = its contribution, computed from its content.
//   3. buckets: per bucket, `$inc` by (pending − applied) summed over the batch, guarded by
//               `{b: {$ne: batch}}` and `$push: {b: batch}`, so a bucket takes a batch at most once
//               (a second try hits the unique `_id` on upsert and is recognised as done).
//   4. finish:  each document gets `applied` = `pending`, and `rb`/`pending` are removed.
// A crash after any step leaves the documents claimed (`rb` set). Any later write touching them,
// or `repairRollups`, resumes the batch from step 2: `pending` is only set where missing, the
// bucket guard skips buckets already done, and finishing is idempotent. Resuming is also safe
// when two processes do it at once. A duplicate delivery never becomes dirty (see `upsertRaw`),
// and a changed record is rolled up as a delta, so counts and sums stay exact.

extension MongoUsageSink {
    /// Claims the dirty documents among `ids` and completes every batch that holds any of them.
    /// - Returns: the number of bucket updates applied.
    func rollUp(ids: [String], _ connection: MongoConnection) throws(MongoFailure) -> Int {
        let batch = Self.newBatchID()
        let idList = JSON.array(ids.map(JSON.string))
        try connection.updateMany(
            UsageCollections.raw,
            filter: ["_id": .object(["$in": idList]), "dirty": .bool(true), "rb": .object(["$exists": .bool(false)])],
            update: [
                "$set": .object(["rb": .string(batch), "rbAt": .integer(WallClock.nowMilliseconds())]),
                "$unset": .object(["dirty": .string("")]),
            ])
        let claimed = try connection.find(
            UsageCollections.raw, filter: ["_id": .object(["$in": idList]), "rb": .object(["$exists": .bool(true)])])
        return try complete(claimed, connection)
    }

    /// Completes rollups left unfinished: claims every dirty document, and resumes every batch
    /// claimed more than `graceMilliseconds` ago (a writer that crashed or timed out).
    /// - Returns: raw documents brought up to date.
    public func repairRollups(graceMilliseconds: Int64 = 60_000) async throws(UsageError) -> Int {
        try await withStore { connection throws(MongoFailure) in
            var repaired = 0
            while true {
                let dirty = try connection.find(
                    UsageCollections.raw, filter: ["dirty": .bool(true)],
                    options: ["projection": .object(["_id": .integer(1)]), "limit": .integer(1000)])
                let ids = dirty.compactMap { $0["_id"]?.stringValue }
                if ids.isEmpty { break }
                _ = try self.rollUp(ids: ids, connection)
                repaired += ids.count
            }
            let cutoff = WallClock.nowMilliseconds() - graceMilliseconds
            while true {
                let stale = try connection.find(
                    UsageCollections.raw,
                    filter: ["rb": .object(["$exists": .bool(true)]), "rbAt": .object(["$lte": .integer(cutoff)])],
                    options: ["limit": .integer(1000)])
                if stale.isEmpty { break }
                _ = try self.complete(stale, connection)
                repaired += stale.count
            }
            return repaired
        }
    }

    /// Groups claimed documents by batch and completes each batch.
    private func complete(_ claimed: [JSON], _ connection: MongoConnection) throws(MongoFailure) -> Int {
        var byBatch: [String: [JSON]] = [:]
        for document in claimed {
            if let batch = document["rb"]?.stringValue { byBatch[batch, default: []].append(document) }
        }
        var buckets = 0
        for (batch, documents) in byBatch.sorted(by: { $0.key < $1.key }) {
            buckets += try resume(batch: batch, documents, connection)
        }
        return buckets
    }

    /// Steps 2-4 for one batch.
    private func resume(batch: String, _ documents: [JSON], _ connection: MongoConnection) throws(MongoFailure) -> Int {
        var documents = documents
        // 2. pending, where missing. If another process set some first, re-read to use theirs.
        let missing = documents.filter { $0["pending"] == nil }
        if !missing.isEmpty {
            var operations: [MongoConnection.UpdateOne] = []
            for (i, document) in documents.enumerated() where document["pending"] == nil {
                guard let id = document["_id"]?.stringValue else { continue }
                let pending = Self.contribution(of: document)?.document ?? .null
                documents[i] = Self.setting(document, "pending", pending)
                operations.append(
                    MongoConnection.UpdateOne(
                        filter: ["_id": .string(id), "rb": .string(batch), "pending": .object(["$exists": .bool(false)])],
                        update: ["$set": .object(["pending": pending])], upsert: false))
            }
            let result = try connection.bulkUpdate(UsageCollections.raw, operations)
            if let failure = result.writeErrors.first {
                throw MongoFailure(domain: 0, code: UInt32(clamping: failure.code), message: "rollup pending: \(failure.message)")
            }
            if result.matched < operations.count {
                // Another process resumed this batch too, or finished it: use what is stored.
                documents = try connection.find(UsageCollections.raw, filter: ["rb": .string(batch)])
            }
        }
        // 3. buckets, each at most once per batch.
        var delta = RollupDelta()
        for document in documents {
            if let applied = RollupContribution(document: document["applied"]) { delta.add(applied, sign: -1) }
            if let pending = RollupContribution(document: document["pending"]) { delta.add(pending, sign: 1) }
        }
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
            throw MongoFailure(domain: 0, code: UInt32(clamping: failure.code), message: "rollup bucket: \(failure.message)")
        }
        // 4. finish.
        let finish = documents.compactMap { document -> MongoConnection.UpdateOne? in
            guard let id = document["_id"]?.stringValue else { return nil }
            return MongoConnection.UpdateOne(
                filter: ["_id": .string(id), "rb": .string(batch)],
                update: [
                    "$set": .object(["applied": document["pending"] ?? .null]),
                    "$unset": .object(["rb": .string(""), "rbAt": .string(""), "pending": .string("")]),
                ], upsert: false)
        }
        let finished = try connection.bulkUpdate(UsageCollections.raw, finish)
        if let failure = finished.writeErrors.first {
            throw MongoFailure(domain: 0, code: UInt32(clamping: failure.code), message: "rollup finish: \(failure.message)")
        }
        return changes.count
    }

    /// The contribution of a stored raw document (nil if it does not decode as a usage record).
    static func contribution(of document: JSON) -> RollupContribution? {
        guard let record = try? JSONDecoder().decode(UsageRecord.self, from: document) else { return nil }
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
