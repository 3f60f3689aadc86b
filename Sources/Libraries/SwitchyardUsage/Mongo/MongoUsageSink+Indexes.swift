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

    /// Creates the indexes (idempotent; once per process, before the first operation).
    ///
    /// Raw: unique `{requestId, step, invocationId, attempt}`; the time-range indexes of
    /// `rawTimeIndexes`; sparse `{rb}` so finishing a rollup batch and the repair find claimed
    /// documents without a scan; optional TTL on `at`. Rollups: `{tenant, minute}` (budgets) and
    /// `{minute}`; hour and day rollups `{tenant, start}` and `{start}` (model/backend views scan a
    /// time range of buckets, which are few), day rollups also `{step, start}` (the what-if's LLM
    /// fingerprints); every extra index costs each bucket insert (an `$inc` of an existing bucket
    /// changes no indexed field). The dashboard's what-if summaries: `{tenant, day}` and `{day}`.
    func prepare(_ connection: MongoConnection) throws(MongoFailure) {
        // The topology decides what `durable` means: majority on a replica set, journal only on a
        // standalone server. Servers before 4.4.2 answer `isMaster` only.
        let hello: JSON
        do { hello = try connection.command(["hello": .integer(1)]) } catch  where !error.isUnavailable {
            hello = try connection.command(["isMaster": .integer(1)])
        }
        connection.replicaSet = hello["setName"]?.stringValue != nil
        for (collection, indexes) in indexSpecifications() {
            try connection.command(["createIndexes": .string(collection), "indexes": .array(indexes)])
        }
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
        return [
            (UsageCollections.raw, raw), (UsageCollections.rollups, minute),
            (RollupCollections.name(.hour), coarse),
            // The what-if's fingerprints read one step's day buckets over a range.
            (
                RollupCollections.name(.day),
                coarse + [.object(["key": key([("step", 1), ("start", 1)]), "name": "step_start"])]
            ),
            (UsageCollections.whatIfDays, whatIf),
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
