import SwitchyardAWS
import SwitchyardCore
import SwitchyardUsage

/// Settings of the usage-logger function, read once at init.
public struct UsageLoggerConfiguration: Sendable {
    /// MongoDB settings: `MONGODB_URI`, `SWITCHYARD_DB` (default `switchyard`), the write concern
    /// (`USAGE_WRITE_CONCERN`, default `durable`) and the other `USAGE_*` keys.
    public var store: MongoUsageConfiguration
    /// The rates document. Env: `USAGE_RATES_FILE`. Default: `rates.json` found by `ConfigLocator`.
    public var ratesPath: String
    /// Most records one message may stand for. Env: `USAGE_MAX_RECORDS`. Default 500.
    public var maxRecordsPerMessage: Int
    /// Close budget reservations when a request's usage is stored. Env: `USAGE_LEDGER`. Default true.
    public var settleReservations: Bool

    public init(environment: Environment) throws(ConfigurationError) {
        store = try MongoUsageConfiguration(environment: environment)
        ratesPath = environment.string(
            "USAGE_RATES_FILE", default: ConfigLocator.locate("rates.json", environment: environment) ?? "rates.json")
        maxRecordsPerMessage = try environment.int("USAGE_MAX_RECORDS", default: 500, range: 1...10_000)
        settleReservations = try environment.bool("USAGE_LEDGER", default: true)
    }
}

extension UsageLoggerConfiguration {
    /// The configuration read after the secrets `SWITCHYARD_SECRETS` names are resolved into the
    /// environment (`MONGODB_URI`, on AWS).
    /// - Throws: `ConfigurationError` naming the variable or the unreadable secret.
    public init(resolvingSecretsIn environment: Environment) async throws(ConfigurationError) {
        try self.init(environment: await SecretEnvironment.resolve(environment))
    }
}
