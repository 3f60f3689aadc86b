import SwitchyardJSON
import SwitchyardMetrics

extension MongoUsageSink {
    /// Creates the indexes (idempotent; once per process, before the first operation).
    ///
    /// Raw: unique `{requestId, step, invocationId, attempt}`; `{tenant, ts}`, `{model, ts}`, `{backend, ts}` and `{ts}`
    /// for queries; sparse `{rb}` so finishing a rollup batch and the repair find claimed
    /// documents without a scan; optional TTL on `at`. Rollups: `{tenant, minute}` (budgets) and `{minute}`; hour and day rollups `{tenant, start}` and `{start}`
    /// (model/backend views scan a time range of buckets, which are few); every extra index
    /// costs each bucket update.
    func prepare(_ connection: MongoConnection) throws(MongoFailure) {
        // The topology decides what `durable` means: majority on a replica set, journal only on a
        // standalone server. Servers before 4.4.2 answer `isMaster` only.
        let hello: JSON
        do { hello = try connection.command(["hello": .integer(1)]) } catch  where !error.isUnavailable {
            hello = try connection.command(["isMaster": .integer(1)])
        }
        connection.replicaSet = hello["setName"]?.stringValue != nil
        func key(_ fields: [(String, Int64)]) -> JSON { .object(JSONObject(fields.map { ($0.0, JSON.integer($0.1)) })) }
        var raw: [JSON] = [
            .object([
                "key": key([("requestId", 1), ("step", 1), ("invocationId", 1), ("attempt", 1)]), "name": "usage_key",
                "unique": .bool(true),
            ]),
            .object(["key": key([("tenant", 1), ("timestamp", 1)]), "name": "tenant_time"]),
            .object(["key": key([("model", 1), ("timestamp", 1)]), "name": "model_time"]),
            .object(["key": key([("backend", 1), ("timestamp", 1)]), "name": "backend_time"]),
            .object(["key": key([("timestamp", 1)]), "name": "time"]),
            .object(["key": key([("rb", 1)]), "name": "rollup_batch", "sparse": .bool(true)]),
        ]
        if let days = configuration.rawTTLDays {
            raw.append(
                .object([
                    "key": key([("at", 1)]), "name": "raw_ttl", "expireAfterSeconds": .integer(Int64(days) * 86_400),
                ]))
        }
        try connection.command(["createIndexes": .string(UsageCollections.raw), "indexes": .array(raw)])
        let rollups: [JSON] = [
            .object(["key": key([("tenant", 1), ("minute", 1)]), "name": "tenant_minute"]),
            .object(["key": key([("minute", 1)]), "name": "minute"]),
        ]
        try connection.command(["createIndexes": .string(UsageCollections.rollups), "indexes": .array(rollups)])
        // Hour and day buckets: the dashboard reads them by time range, with or without a tenant.
        let coarse: [JSON] = [
            .object(["key": key([("tenant", 1), ("start", 1)]), "name": "tenant_start"]),
            .object(["key": key([("start", 1)]), "name": "start"]),
        ]
        for granularity in [Granularity.hour, .day] {
            try connection.command([
                "createIndexes": .string(RollupCollections.name(granularity)), "indexes": .array(coarse),
            ])
        }
    }
}
