import SwitchyardCore
import SwitchyardUsage

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Settings of the usage-logger function, read once at init.
public struct UsageLoggerConfiguration: Sendable {
    /// MongoDB settings: `MONGODB_URI`, `SWITCHYARD_DB` (default `switchyard`) and the `USAGE_*` keys.
    public var store: MongoUsageConfiguration
    /// The rates document. Env: `USAGE_RATES_FILE`. Default: the first that exists of
    /// `$LAMBDA_TASK_ROOT/rates.json` (the deployment zip), `infra/rates.json` and
    /// `../../../infra/rates.json` (the local emulator runs a function in its build folder).
    public var ratesPath: String
    /// Most records one event may carry. Env: `USAGE_MAX_RECORDS`. Default 500.
    public var maxRecordsPerEvent: Int

    public init(environment: Environment) throws(ConfigurationError) {
        store = try MongoUsageConfiguration(environment: environment)
        let candidates = [
            environment["LAMBDA_TASK_ROOT"].map { $0 + "/rates.json" }, "infra/rates.json", "../../../infra/rates.json",
        ]
        .compactMap { $0 }
        let fallback = candidates.first { access($0, R_OK) == 0 } ?? candidates[0]
        ratesPath = environment.string("USAGE_RATES_FILE", default: fallback)
        maxRecordsPerEvent = try environment.int("USAGE_MAX_RECORDS", default: 500, range: 1...10_000)
    }
}
