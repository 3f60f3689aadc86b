import SwitchyardCore

/// Settings of the MongoDB usage store.
public struct MongoUsageConfiguration: Sendable {
    /// Connection string; any MongoDB, Atlas or the local SecantusDB. Env: `MONGODB_URI` (required).
    public var uri: String
    /// Database name. Env: `SWITCHYARD_DB`. Default `switchyard`.
    public var database: String = "switchyard"
    /// Write concern of billing writes: raw records, every step of a rollup (claims, bucket and
    /// ledger increments, batch completion) and budget reservations.
    /// Env: `USAGE_WRITE_CONCERN` (`durable` | `majority` | `fast`). Default `durable`.
    public var writeConcern: UsageWriteConcern = .durable
    /// Write concern of writes whose loss is harmless or on the safe side: closing a reservation
    /// (a lost close holds budget until the reservation expires), a bulk load's buckets, derived
    /// caches. Env: `USAGE_RELAXED_WRITE_CONCERN`. Default `fast` (`{w: 1}`).
    public var relaxedWriteConcern: UsageWriteConcern = .fast
    /// Attempts per operation before `Usage.StoreUnavailable`, including the first, within the
    /// caller's deadline. Env: `USAGE_STORE_ATTEMPTS`. Default 3.
    public var maxAttempts: Int = 3
    /// First backoff between attempts, doubled each time. Env: `USAGE_STORE_BACKOFF_MS`. Default 200 ms.
    public var backoffMilliseconds: Int = 200
    /// Longest one attempt waits to find the server (cut to fit the deadline).
    /// Env: `MONGODB_SERVER_SELECTION_TIMEOUT_MS`. Default 2000.
    public var serverSelectionTimeoutMilliseconds: Int = 2000
    /// Longest one network round trip may take (cut to fit the deadline); libmongoc's own default
    /// is 300 s. Env: `MONGODB_SOCKET_TIMEOUT_MS`. Default 10000.
    public var socketTimeoutMilliseconds: Int = 10_000
    /// `wtimeout` of majority writes (cut to fit the deadline). Env: `USAGE_WRITE_TIMEOUT_MS`. Default 10000.
    public var writeTimeoutMilliseconds: Int = 10_000
    /// Bound of an operation called without a deadline (tools, maintenance), ms.
    /// Env: `USAGE_OPERATION_TIMEOUT_MS`. Default 30000 (below the repair grace: see `repairGraceMilliseconds`).
    public var operationTimeoutMilliseconds: Int = 30_000
    /// Expire raw records after this many days (TTL index on `at`); rollups are kept. nil = keep.
    /// Env: `USAGE_RAW_TTL_DAYS`.
    public var rawTTLDays: Int? = nil
    /// Largest raw document accepted, in bytes. Env: `USAGE_MAX_RECORD_BYTES`. Default 65536.
    public var maxDocumentBytes: Int = 65_536
    /// Maintain per-minute rollups at write time. Env: `USAGE_ROLLUPS`. Default true.
    public var rollups: Bool = true
    /// Most batch ids a rollup bucket keeps (`$slice`), far above the few in flight, so a bucket
    /// stays far below MongoDB's 16 MB document limit. Env: `USAGE_ROLLUP_MAX_BATCH_IDS`. Default 1000.
    public var maxBatchIDsPerBucket: Int = 1000
    /// A claimed rollup batch older than this belongs to a writer that is gone: the repair pass
    /// takes it over, and spend older than this is reported stale. Env: `USAGE_REPAIR_GRACE_SECONDS`.
    /// Default 60.
    public var repairGraceMilliseconds: Int64 = 60_000
    /// Open budget reservations older than this are released by the repair pass (the request
    /// never reported usage). Env: `USAGE_RESERVATION_TTL_SECONDS`. Default 900 (15 minutes,
    /// the longest a streamed request runs).
    public var reservationTTLMilliseconds: Int64 = 900_000

    public init(uri: String) { self.uri = uri }

    /// Reads every key listed on the fields above.
    public init(environment: Environment) throws(ConfigurationError) {
        uri = try environment.require("MONGODB_URI")
        database = environment.string("SWITCHYARD_DB", default: "switchyard")
        writeConcern = try Self.concern(environment, "USAGE_WRITE_CONCERN", default: .durable)
        relaxedWriteConcern = try Self.concern(environment, "USAGE_RELAXED_WRITE_CONCERN", default: .fast)
        // Rollup steps used to have their own, weaker write concern; none is safe (docs/usage.md,
        // "Durability"), so a deployment that still sets it is told rather than ignored.
        if let old = environment["USAGE_ROLLUP_WRITE_CONCERN"], !old.isEmpty {
            throw .invalid(
                variable: "USAGE_ROLLUP_WRITE_CONCERN", value: old,
                expected: "unset: rollup steps are billing writes (USAGE_WRITE_CONCERN)")
        }
        maxAttempts = try environment.int("USAGE_STORE_ATTEMPTS", default: 3, range: 1...20)
        backoffMilliseconds = try environment.int("USAGE_STORE_BACKOFF_MS", default: 200, range: 0...60_000)
        serverSelectionTimeoutMilliseconds = try environment.int(
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS", default: 2000, range: 50...60_000)
        socketTimeoutMilliseconds = try environment.int(
            "MONGODB_SOCKET_TIMEOUT_MS", default: 10_000, range: 100...300_000)
        writeTimeoutMilliseconds = try environment.int("USAGE_WRITE_TIMEOUT_MS", default: 10_000, range: 100...300_000)
        operationTimeoutMilliseconds = try environment.int(
            "USAGE_OPERATION_TIMEOUT_MS", default: 30_000, range: 100...3_600_000)
        let ttl = try environment.int("USAGE_RAW_TTL_DAYS", default: 0, range: 0...36_500)
        rawTTLDays = ttl == 0 ? nil : ttl
        maxDocumentBytes = try environment.int("USAGE_MAX_RECORD_BYTES", default: 65_536, range: 1_024...16_000_000)
        rollups = try environment.bool("USAGE_ROLLUPS", default: true)
        maxBatchIDsPerBucket = try environment.int("USAGE_ROLLUP_MAX_BATCH_IDS", default: 1000, range: 16...100_000)
        repairGraceMilliseconds =
            Int64(try environment.int("USAGE_REPAIR_GRACE_SECONDS", default: 60, range: 0...86_400)) * 1000
        reservationTTLMilliseconds =
            Int64(try environment.int("USAGE_RESERVATION_TTL_SECONDS", default: 900, range: 1...604_800)) * 1000
    }

    private static func concern(_ environment: Environment, _ name: String, default value: UsageWriteConcern)
        throws(ConfigurationError) -> UsageWriteConcern
    {
        let raw = environment.string(name, default: value.rawValue)
        guard let concern = UsageWriteConcern(rawValue: raw.lowercased()) else {
            throw .invalid(variable: name, value: raw, expected: "durable, majority or fast")
        }
        return concern
    }

    /// One line for the init log: where and how durably usage is written (never the URI, which
    /// can carry credentials).
    public var summary: String {
        "database \(database), billing writes \(writeConcern.summary), relaxed writes \(relaxedWriteConcern.rawValue)"
    }
}

/// Collection names, in one place.
public enum UsageCollections {
    public static let raw = "usage"
    public static let rollups = "usage_rollups_minute"
    public static let rates = "rates"
    /// One counter document per tenant and month: settled spend and open reservations.
    public static let ledger = "usage_budget_ledger"
    /// The dashboard's what-if summaries, one document per tenant and UTC day, written by the
    /// dashboard after the day has settled, never by a billing write.
    public static let whatIfDays = "usage_whatif_days"
}
