import SwitchyardBilling
import SwitchyardCore
import SwitchyardJSON
import SwitchyardMetrics

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
                let set = Self.bucketDocument(change, granularity: .minute)
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
            try self.rebuildCoarseRollups(fromMinute: fromMinute, toMinute: toMinute, connection)
            try self.rebuildLedgerSpend(fromMinute: fromMinute, toMinute: toMinute, connection)
            return records.count
        }
    }

    /// A whole bucket document (for `$set`): key fields, every sum, the `lh` histogram, no batch ids.
    static func bucketDocument(_ change: BucketChange, granularity: Granularity) -> JSONObject {
        let key = change.key
        var set = JSONObject([
            (RollupCollections.startField(granularity), .integer(key.minute)), ("tenant", .string(key.tenant)),
            ("tier", .string(key.tier)), ("step", .string(key.step)), ("model", .string(key.model)),
            ("backend", .string(key.backend)), ("errorType", .string(key.errorType)), ("b", .array([])),
        ])
        for (i, value) in change.values.enumerated() {
            set.members.append((RollupContribution.fields[i], .integer(value)))
        }
        var histogram = JSONObject()
        for (index, count) in change.histogram.sorted(by: { $0.key < $1.key }) {
            histogram.members.append((String(index), .integer(count)))
        }
        set.members.append(("lh", .object(histogram)))
        if granularity == .day {
            var counts = JSONObject()
            var errors = JSONObject()
            for (hour, sums) in change.hours.sorted(by: { $0.key < $1.key }) {
                if sums.count != 0 { counts.members.append((String(hour), .integer(sums.count))) }
                if sums.errors != 0 { errors.members.append((String(hour), .integer(sums.errors))) }
            }
            // Only what an `$inc` would have created, so both write paths leave equal documents.
            if !counts.members.isEmpty { set.members.append(("hc", .object(counts))) }
            if !errors.members.isEmpty { set.members.append(("he", .object(errors))) }
        }
        return set
    }

    /// Recomputes the hour and day buckets of the whole days around `[fromMinute, toMinute)` from
    /// the minute buckets (which hold the same sums).
    private func rebuildCoarseRollups(fromMinute: Int64, toMinute: Int64, _ connection: MongoConnection)
        throws(MongoFailure)
    {
        let from = Granularity.day.floor(fromMinute)
        let to = Granularity.day.ceil(toMinute)
        let minutes = try connection.find(
            UsageCollections.rollups, filter: ["minute": .object(["$gte": .integer(from), "$lt": .integer(to)])],
            options: ["projection": .object(["b": .integer(0)])])
        var changes: [BucketChange] = []
        for document in minutes {
            guard let minute = document["minute"]?.int64Value, let tenant = document["tenant"]?.stringValue,
                let step = document["step"]?.stringValue, let model = document["model"]?.stringValue,
                let backend = document["backend"]?.stringValue
            else { continue }
            let values = RollupContribution.fields.map { document[$0]?.int64Value ?? 0 }
            var histogram: [Int: Int64] = [:]
            if case .object(let counts)? = document["lh"] {
                for (index, count) in counts.members {
                    if let i = Int(index), let n = count.int64Value, n != 0 { histogram[i] = n }
                }
            }
            let key = RollupContribution(
                minute: minute, tenant: tenant, step: step, model: model, backend: backend, values: values,
                tier: document["tier"]?.stringValue ?? "-", errorType: document["errorType"]?.stringValue ?? "-",
                latencyIndex: 0)
            changes.append(BucketChange(id: key.bucketID, key: key, values: values, histogram: histogram))
        }
        for granularity in [Granularity.hour, .day] {
            let name = RollupCollections.name(granularity)
            try connection.deleteMany(
                name, filter: ["start": .object(["$gte": .integer(from), "$lt": .integer(to)])], durability: .billing)
            let operations = try RollupDelta.coarserInStore(changes, granularity).map { change in
                MongoConnection.UpdateOne(
                    filter: ["_id": .string(change.id)],
                    update: ["$set": .object(Self.bucketDocument(change, granularity: granularity))], upsert: true)
            }
            guard !operations.isEmpty else { continue }
            let result = try connection.bulkUpdate(name, operations, durability: .billing)
            if let failure = result.writeErrors.first {
                throw MongoFailure(
                    domain: 0, code: UInt32(clamping: failure.code), message: "rebuild: \(failure.message)")
            }
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
