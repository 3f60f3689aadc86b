import SwitchyardBilling
import SwitchyardCore
import SwitchyardJSON

extension MongoUsageSink {
    /// Recomputes the rollup buckets of `[fromMinute, toMinute)` from the raw records, replacing
    /// what is there, marks those records as applied, and recomputes the spend of the ledger
    /// months the range touches from the rollups. The last-resort repair (after manual edits, lost
    /// rollups, or a changed histogram); run it while no writer touches that range.
    /// - Returns: the number of raw records read.
    public func rebuildRollups(fromMinute: Int64, toMinute: Int64, deadline: ContinuousClock.Instant? = nil)
        async throws(UsageError) -> Int
    {
        try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let connection = session.connection
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
            try connection.deleteMany(UsageCollections.rollups, filter: ["minute": range], durability: .billing)
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
                try connection.bulkUpdate(UsageCollections.rollups, buckets, durability: .billing),
                try connection.bulkUpdate(UsageCollections.raw, finish, durability: .billing),
            ] {
                if let failure = result.writeErrors.first {
                    throw MongoFailure(
                        domain: 0, code: UInt32(clamping: failure.code), message: "rebuild: \(failure.message)")
                }
            }
            try self.rebuildLedgerSpend(fromMinute: fromMinute, toMinute: toMinute, connection)
            return records.count
        }
    }

    /// Sets each ledger month touched by `[fromMinute, toMinute)` to the spend its rollups hold,
    /// keeping its open reservations.
    private func rebuildLedgerSpend(fromMinute: Int64, toMinute: Int64, _ connection: MongoConnection)
        throws(MongoFailure)
    {
        let first = UTCCalendar.startOfMonth(epochMilliseconds: max(0, fromMinute))
        let rows = try connection.aggregate(
            UsageCollections.rollups,
            pipeline: [
                .object(["$match": .object(["minute": .object(["$gte": .integer(first)])])]),
                .object([
                    "$group": .object([
                        "_id": .object(["tenant": .string("$tenant"), "minute": .string("$minute")]),
                        "cost": .object(["$sum": .string("$costTotal")]),
                    ])
                ]),
            ])
        var months: [String: (tenant: String, month: Int64, spent: Int64)] = [:]
        for row in rows {
            guard let tenant = row["_id"]?["tenant"]?.stringValue, let minute = row["_id"]?["minute"]?.int64Value
            else { continue }
            let month = UTCCalendar.startOfMonth(epochMilliseconds: minute)
            guard month < toMinute else { continue }
            let id = Self.ledgerID(tenant: tenant, month: month)
            let (sum, overflow) = (months[id]?.spent ?? 0).addingReportingOverflow(row["cost"]?.int64Value ?? 0)
            if overflow { throw MongoFailure(domain: 0, code: 0, message: "rebuild: spend of \(tenant) overflows") }
            months[id] = (tenant, month, sum)
        }
        // Whole months are summed (rollups after `toMinute` included): a month's spend is one number.
        let existing = try connection.find(
            UsageCollections.ledger,
            filter: ["month": .object(["$gte": .integer(first), "$lt": .integer(toMinute)])],
            options: ["projection": .object(["reserved": .integer(1), "tenant": .integer(1), "month": .integer(1)])])
        var reserved: [String: Int64] = [:]
        for document in existing {
            guard let id = document["_id"]?.stringValue else { continue }
            reserved[id] = document["reserved"]?.int64Value ?? 0
            if months[id] == nil, let tenant = document["tenant"]?.stringValue,
                let month = document["month"]?.int64Value
            {
                months[id] = (tenant, month, 0)
            }
        }
        var operations: [MongoConnection.UpdateOne] = []
        for (id, entry) in months.sorted(by: { $0.key < $1.key }) {
            let (committed, overflow) = entry.spent.addingReportingOverflow(reserved[id] ?? 0)
            if overflow { throw MongoFailure(domain: 0, code: 0, message: "rebuild: committed of \(id) overflows") }
            operations.append(
                MongoConnection.UpdateOne(
                    filter: ["_id": .string(id)],
                    update: [
                        "$set": .object([
                            "tenant": .string(entry.tenant), "month": .integer(entry.month),
                            "spent": .integer(entry.spent), "committed": .integer(committed), "b": .array([]),
                        ])
                    ], upsert: true))
        }
        _ = try connection.bulkUpdate(UsageCollections.ledger, operations, durability: .billing)
    }
}
