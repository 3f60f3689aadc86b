import SwitchyardCore
import SwitchyardUsage

/// Settings of the usage-logger function, read once at init.
public struct UsageLoggerConfiguration: Sendable {
    /// MongoDB settings: `MONGODB_URI`, `SWITCHYARD_DB` (default `switchyard`) and the `USAGE_*` keys.
    public var store: MongoUsageConfiguration
    /// The rates document. Env: `USAGE_RATES_FILE`. Default: `rates.json` found by `ConfigLocator`.
    public var ratesPath: String
    /// Most records one event may carry. Env: `USAGE_MAX_RECORDS`. Default 500.
    public var maxRecordsPerEvent: Int

    public init(environment: Environment) throws(ConfigurationError) {
        store = try MongoUsageConfiguration(environment: environment)
        ratesPath = environment.string(
            "USAGE_RATES_FILE", default: ConfigLocator.locate("rates.json", environment: environment) ?? "rates.json")
        maxRecordsPerEvent = try environment.int("USAGE_MAX_RECORDS", default: 500, range: 1...10_000)
    }
}
