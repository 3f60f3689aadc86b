import SwitchyardJSON

extension MongoUsageSink {
    /// Recomputes the rollup buckets of `[fromMinute, toMinute)` from the raw records, replacing
    /// what is there, and marks those records as applied. The last-resort repair (after manual
    /// edits, lost rollups, or a changed histogram); run it while no writer touches that range.
    /// - Returns: the number of raw records read.
    public func rebuildRollups(fromMinute: Int64, toMinute: Int64) async throws(UsageError) -> Int {
        try await withStore { connection throws(MongoFailure) in
            let range: JSON = .object(["$gte": .integer(fromMinute), "$lt": .integer(toMinute)])
            let records = try connection.find(UsageCollections.raw, filter: ["timestamp": range])
            var delta = RollupDelta()
            var finish: [MongoConnection.UpdateOne] = []
            for document in records {
                guard let id = document["_id"]?.stringValue else { continue }
                let contribution = Self.contribution(of: document)
                if let contribution { try delta.addInStore(contribution, sign: 1) }
                finish.append(
                    MongoConnection.UpdateOne(
                        filter: ["_id": .string(id)],
                        update: [
                            "$set": .object(["a": contribution?.document ?? .null, "ah": document["h"] ?? .null]),
                            "$unset": .object([
                                "rb": .string(""), "rbAt": .string(""), "p": .string(""), "ph": .string(""),
                            ]),
                        ], upsert: false))
            }
            try connection.deleteMany(UsageCollections.rollups, filter: ["minute": range])
            let buckets = delta.nonZero.map { change -> MongoConnection.UpdateOne in
                var set = JSONObject([
                    ("minute", .integer(change.key.minute)), ("tenant", .string(change.key.tenant)),
                    ("step", .string(change.key.step)), ("model", .string(change.key.model)),
                    ("backend", .string(change.key.backend)), ("b", .array([])),
                ])
                for (i, value) in change.values.enumerated() {
                    set.members.append((RollupContribution.fields[i], .integer(value)))
                }
                return MongoConnection.UpdateOne(
                    filter: ["_id": .string(change.id)], update: ["$set": .object(set)], upsert: true)
            }
            for result in [
                try connection.bulkUpdate(UsageCollections.rollups, buckets),
                try connection.bulkUpdate(UsageCollections.raw, finish),
            ] {
                if let failure = result.writeErrors.first {
                    throw MongoFailure(
                        domain: 0, code: UInt32(clamping: failure.code), message: "rebuild: \(failure.message)")
                }
            }
            return records.count
        }
    }
}
