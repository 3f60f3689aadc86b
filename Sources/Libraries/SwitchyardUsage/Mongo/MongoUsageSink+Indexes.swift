import SwitchyardJSON
import SwitchyardMetrics

/// One `{<equality fields…>, timestamp}` index of the raw collection: what reads of raw records
/// in a time range go through (recent activity, drill-downs, the what-if's recorded calls).
public struct RawTimeIndex: Sendable, Equatable {
    public var name: String
    /// The fields a query pins with equalities, in key order; `timestamp` follows them.
    public var equality: [String]
    /// The direction of `timestamp` in the key: -1 (newest first, the activity list's order) for
    /// the dashboard's indexes; the older ones were created ascending and keep their direction.
    public var timestampDirection: Int64
}

extension MongoUsageSink {
    /// Every time-range index of the raw collection, the one place they are defined.
    ///
    /// A query that pins exactly an index's equality fields and bounds `timestamp` walks only the
    /// matching entries (SecantusDB plans a compound index only for that exact shape; MongoDB
    /// also uses it). So the dashboard's filters each have one: tenant and tier from the page,
    /// a status (a rare one — failed, rejected — is the drill-down that matters) and a model from
    /// the activity filters, and step+status for the what-if's answered LLM calls. Combinations
    /// without their own index use the best of these and check the rest in memory
    /// (`MongoMetricsStore.plan`). Every index costs each insert, hence no more than these.
    public static let rawTimeIndexes: [RawTimeIndex] = [
        RawTimeIndex(name: "time", equality: [], timestampDirection: 1),
        RawTimeIndex(name: "tenant_time", equality: ["tenant"], timestampDirection: 1),
        RawTimeIndex(name: "model_time", equality: ["model"], timestampDirection: 1),
        RawTimeIndex(name: "backend_time", equality: ["backend"], timestampDirection: 1),
        RawTimeIndex(name: "status_time", equality: ["status"], timestampDirection: -1),
        RawTimeIndex(name: "tenant_status_time", equality: ["tenant", "status"], timestampDirection: -1),
        RawTimeIndex(name: "tier_status_time", equality: ["tier", "status"], timestampDirection: -1),
        RawTimeIndex(name: "tenant_model_time", equality: ["tenant", "model"], timestampDirection: -1),
        RawTimeIndex(name: "step_status_time", equality: ["step", "status"], timestampDirection: -1),
    ]

    /// What the first operation of a process found (`prepare`).
    public enum IndexCheck: Sendable, Equatable {
        /// Every index of the raw collection was there as specified: nothing was created.
        case verified
        /// Something was missing or different: `createIndexes` ran for every collection.
        case created
    }

    /// Readies a new connection, once per process, before its first operation: learns the topology
    /// from the connection's handshake (it decides what `durable` means: majority on a replica set,
    /// journal only on a standalone server) and checks the indexes with one `listIndexes` of the raw
    /// collection, creating them all only when that finds one missing or different.
    ///
    /// Creating indexes is once per deployment (`usage-ingest indexes`, which `scripts/deploy` runs),
    /// not per cold start; the check keeps a store nobody prepared correct and fast anyway. It reads
    /// the raw collection only: `ensureIndexes` creates the raw collection's indexes last, so finding
    /// them means every earlier `createIndexes` succeeded. Idempotency never rests on this check:
    /// a raw record's `_id` is its storage key, unique without any secondary index.
    func prepare(_ connection: MongoConnection) throws(MongoFailure) -> IndexCheck {
        try connection.learnTopology()
        if try rawIndexesInPlace(connection) { return .verified }
        try ensureIndexes(connection)
        return .created
    }

    /// Creates every collection's indexes (idempotent), the raw collection's last.
    ///
    /// Raw: unique `{requestId, step, invocationId, attempt}`; the time-range indexes of
    /// `rawTimeIndexes`; sparse `{rb}` so finishing a rollup batch and the repair find claimed
    /// documents without a scan; optional TTL on `at`. Rollups: `{tenant, minute}` (budgets) and
    /// `{minute}`; hour and day rollups `{tenant, start}` and `{start}` (model/backend views scan a
    /// time range of buckets, which are few), day rollups also `{step, start}` (the what-if's LLM
    /// fingerprints); every extra index costs each bucket insert (an `$inc` of an existing bucket
    /// changes no indexed field). The dashboard's what-if summaries: `{tenant, day}` and `{day}`.
    func ensureIndexes(_ connection: MongoConnection) throws(MongoFailure) {
        for (collection, indexes) in indexSpecifications() {
            try connection.command(["createIndexes": .string(collection), "indexes": .array(indexes)])
        }
    }

    /// Whether `listIndexes` of the raw collection shows each of its specified indexes with the
    /// same key (fields, order, directions) and options (`unique`, `sparse`, `expireAfterSeconds`).
    /// A missing collection, a reply in more than one batch or an error the server answered counts
    /// as "not in place" (then `ensureIndexes` runs, and reports any real problem).
    func rawIndexesInPlace(_ connection: MongoConnection) throws(MongoFailure) -> Bool {
        guard let wanted = indexSpecifications().first(where: { $0.collection == UsageCollections.raw })?.indexes
        else { return false }
        let reply: JSON
        do {
            reply = try connection.command(["listIndexes": .string(UsageCollections.raw), "cursor": .object([:])])
        } catch  where !error.isUnavailable {
            return false
        }
        guard reply["cursor"]?["id"]?.int64Value == 0, let listed = reply["cursor"]?["firstBatch"]?.arrayValue else {
            return false
        }
        var byName: [String: JSON] = [:]
        for index in listed { if let name = index["name"]?.stringValue { byName[name] = index } }
        return wanted.allSatisfy { spec in
            guard let name = spec["name"]?.stringValue, let found = byName[name] else { return false }
            return Self.sameIndex(spec, found)
        }
    }

    /// An index as `createIndexes` was given it against one `listIndexes` lists: numbers compared by
    /// value (a server may answer 1 as a double), absent flags as false.
    static func sameIndex(_ spec: JSON, _ found: JSON) -> Bool {
        guard let wantedKey = spec["key"]?.objectValue, let foundKey = found["key"]?.objectValue,
            wantedKey.keys == foundKey.keys,
            zip(wantedKey.members, foundKey.members).allSatisfy({ $0.value.doubleValue == $1.value.doubleValue })
        else { return false }
        for flag in ["unique", "sparse"] where (spec[flag]?.boolValue ?? false) != (found[flag]?.boolValue ?? false) {
            return false
        }
        return spec["expireAfterSeconds"]?.doubleValue == found["expireAfterSeconds"]?.doubleValue
    }

    /// Every collection's secondary indexes, as `createIndexes` takes them.
    func indexSpecifications() -> [(collection: String, indexes: [JSON])] {
        func key(_ fields: [(String, Int64)]) -> JSON { .object(JSONObject(fields.map { ($0.0, JSON.integer($0.1)) })) }
        var raw: [JSON] = [
            .object([
                "key": key([("requestId", 1), ("step", 1), ("invocationId", 1), ("attempt", 1)]), "name": "usage_key",
                "unique": .bool(true),
            ])
        ]
        for index in Self.rawTimeIndexes {
            let fields = index.equality.map { ($0, Int64(1)) } + [("timestamp", index.timestampDirection)]
            raw.append(.object(["key": key(fields), "name": .string(index.name)]))
        }
        raw.append(.object(["key": key([("rb", 1)]), "name": "rollup_batch", "sparse": .bool(true)]))
        if let days = configuration.rawTTLDays {
            raw.append(
                .object([
                    "key": key([("at", 1)]), "name": "raw_ttl", "expireAfterSeconds": .integer(Int64(days) * 86_400),
                ]))
        }
        let minute: [JSON] = [
            .object(["key": key([("tenant", 1), ("minute", 1)]), "name": "tenant_minute"]),
            .object(["key": key([("minute", 1)]), "name": "minute"]),
        ]
        // Hour and day buckets: the dashboard reads them by time range, with or without a tenant.
        let coarse: [JSON] = [
            .object(["key": key([("tenant", 1), ("start", 1)]), "name": "tenant_start"]),
            .object(["key": key([("start", 1)]), "name": "start"]),
        ]
        let whatIf: [JSON] = [
            .object(["key": key([("tenant", 1), ("day", 1)]), "name": "tenant_day"]),
            .object(["key": key([("day", 1)]), "name": "day"]),
        ]
        // The raw collection last: `rawIndexesInPlace` reads only it (see `prepare`).
        return [
            (UsageCollections.rollups, minute),
            (RollupCollections.name(.hour), coarse),
            // The what-if's fingerprints read one step's day buckets over a range.
            (
                RollupCollections.name(.day),
                coarse + [.object(["key": key([("step", 1), ("start", 1)]), "name": "step_start"])]
            ),
            (UsageCollections.whatIfDays, whatIf), (UsageCollections.raw, raw),
        ]
    }

    /// Drops every secondary index of the usage collections (`_id` stays): the bulk loader fills an
    /// empty store without them and builds them once at the end (`createIndexesOneByOne`).
    func dropSecondaryIndexes(_ connection: MongoConnection) throws(MongoFailure) {
        for (collection, _) in indexSpecifications() {
            try connection.command(["dropIndexes": .string(collection), "index": "*"])
        }
    }

    /// Builds the indexes one command each, so each round trip stays within the socket timeout.
    func createIndexesOneByOne(_ connection: MongoConnection) throws(MongoFailure) {
        for (collection, indexes) in indexSpecifications() {
            for index in indexes {
                try connection.command(["createIndexes": .string(collection), "indexes": .array([index])])
            }
        }
    }
}
