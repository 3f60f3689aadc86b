import SwitchyardCore

/// Settings of the MongoDB usage store.
public struct MongoUsageConfiguration: Sendable {
    /// Connection string; any MongoDB, Atlas or the local SecantusDB. Env: `MONGODB_URI` (required).
    public var uri: String
    /// Database name. Env: `SWITCHYARD_DB`. Default `switchyard`.
    public var database: String = "switchyard"
    /// Attempts per write before `Usage.StoreUnavailable`, including the first. Env: `USAGE_STORE_ATTEMPTS`. Default 3.
    public var maxAttempts: Int = 3
    /// First backoff between attempts, doubled each time. Env: `USAGE_STORE_BACKOFF_MS`. Default 200 ms.
    public var backoffMilliseconds: Int = 200
    /// How long one attempt waits to find the server. Env: `MONGODB_SERVER_SELECTION_TIMEOUT_MS`. Default 2000.
    public var serverSelectionTimeoutMilliseconds: Int = 2000
    /// Expire raw records after this many days (TTL index on `at`); rollups are kept. nil = keep.
    /// Env: `USAGE_RAW_TTL_DAYS`.
    public var rawTTLDays: Int? = nil
    /// Largest raw document accepted, in bytes. Env: `USAGE_MAX_RECORD_BYTES`. Default 65536.
    public var maxDocumentBytes: Int = 65_536
    /// Maintain per-minute rollups at write time. Env: `USAGE_ROLLUPS`. Default true.
    public var rollups: Bool = true

    public init(uri: String) { self.uri = uri }

    /// Reads every key listed on the fields above.
    public init(environment: Environment) throws(ConfigurationError) {
        uri = try environment.require("MONGODB_URI")
        database = environment.string("SWITCHYARD_DB", default: "switchyard")
        maxAttempts = try environment.int("USAGE_STORE_ATTEMPTS", default: 3, range: 1...20)
        backoffMilliseconds = try environment.int("USAGE_STORE_BACKOFF_MS", default: 200, range: 0...60_000)
        serverSelectionTimeoutMilliseconds = try environment.int(
            "MONGODB_SERVER_SELECTION_TIMEOUT_MS", default: 2000, range: 50...60_000)
        let ttl = try environment.int("USAGE_RAW_TTL_DAYS", default: 0, range: 0...36_500)
        rawTTLDays = ttl == 0 ? nil : ttl
        maxDocumentBytes = try environment.int("USAGE_MAX_RECORD_BYTES", default: 65_536, range: 1_024...16_000_000)
        rollups = try environment.bool("USAGE_ROLLUPS", default: true)
    }
}

/// Collection names, in one place.
public enum UsageCollections {
    public static let raw = "usage"
    public static let rollups = "usage_rollups_minute"
    public static let rates = "rates"
}
