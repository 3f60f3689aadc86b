import SwitchyardAWS
import SwitchyardCore
import SwitchyardRouting
import SwitchyardUsage

/// The router function's settings, read once at init from the environment.
///
/// Keys: `SWITCHYARD_POLICY`, `SWITCHYARD_CATALOG`, `SWITCHYARD_RATES`, `SWITCHYARD_BUNDLE_TTL_MS`,
/// `SWITCHYARD_CLASSIFIER_URL`, `SWITCHYARD_CLASSIFIER_API_KEY`, `ROUTER_SIGNALS_TTL_MS`,
/// `ROUTER_SIGNALS_BUDGET_MS`, `SWITCHYARD_SIGNALS_FILE`, `MONGODB_URI` (and the usage store's own
/// keys, see `MongoUsageConfiguration`), `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
public struct RouterConfiguration: Sendable {
    /// The bundle's three documents, found by `ConfigLocator` (`SWITCHYARD_BUNDLE_DIR`,
    /// `LAMBDA_TASK_ROOT`, `infra/`). Env `SWITCHYARD_POLICY` (default `policy.json`),
    /// `SWITCHYARD_CATALOG` (default `catalog.json`), `SWITCHYARD_RATES` (default `rates.json`).
    public var bundle: BundleFiles
    /// How often the bundle is read again (all three documents together); a bundle that fails
    /// validation is logged and the last good one stays. Env `SWITCHYARD_BUNDLE_TTL_MS`, default
    /// 60000; 0 reloads on every invocation.
    public var bundleTTL: Duration
    /// The LLM classifier's base URL, before the policy's `base_url` and the catalog entry's
    /// endpoint (the shipped policy names none). Env `SWITCHYARD_CLASSIFIER_URL`.
    public var classifierURL: String?
    /// Bearer token for the classifier endpoint. Env `SWITCHYARD_CLASSIFIER_API_KEY`; never logged.
    public var classifierAPIKey: String?
    /// Live signals are cached this long. Env `ROUTER_SIGNALS_TTL_MS`, default 15000.
    public var signalsTTL: Duration
    /// Longest a decision waits for spend and health together, from the start of the invocation
    /// (and never past its deadline). Past it the router routes on priors and says so in the
    /// decision. Env `ROUTER_SIGNALS_BUDGET_MS`, default 1000: an in-region Atlas query answers in
    /// tens of ms and a new TLS connection in a few hundred.
    public var signalsBudget: Duration
    /// A JSON file of spend and model health for local runs (see `SignalsFile`). Env
    /// `SWITCHYARD_SIGNALS_FILE` (absolute, or relative to the bundle folder).
    public var signalsFile: String?
    /// The usage store the live signals come from: set when `MONGODB_URI` is set and not empty.
    /// One attempt per query, and a server-selection timeout of at most half `signalsBudget`: a
    /// store that does not answer then fails, and is cached as failed for a TTL, while the first
    /// decision is still waiting, so the decisions after it do not wait at all; retrying past the
    /// budget would help no decision.
    public var signalsStore: MongoUsageConfiguration?
    /// This function's memory, for its own usage record. Env `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`
    /// (set by Lambda and the emulator), default 128.
    public var memoryMB: Int64
    /// The architecture this binary was built for (`x86_64`, `arm64`), for its usage record.
    public var architecture: String

    /// The three documents of the bundle.
    public struct BundleFiles: Sendable, Equatable {
        public var policy: String
        public var catalog: String
        public var rates: String

        public init(policy: String, catalog: String, rates: String) {
            self.policy = policy
            self.catalog = catalog
            self.rates = rates
        }
    }

    public init(
        bundle: BundleFiles, bundleTTL: Duration = .seconds(60), classifierURL: String? = nil,
        classifierAPIKey: String? = nil, signalsTTL: Duration = .seconds(15), signalsBudget: Duration = .seconds(1),
        signalsFile: String? = nil, signalsStore: MongoUsageConfiguration? = nil, memoryMB: Int64 = 128,
        architecture: String = ComputeEnvironment.binaryArchitecture
    ) {
        self.bundle = bundle
        self.bundleTTL = bundleTTL
        self.classifierURL = classifierURL
        self.classifierAPIKey = classifierAPIKey
        self.signalsTTL = signalsTTL
        self.signalsBudget = signalsBudget
        self.signalsFile = signalsFile
        self.signalsStore = signalsStore
        self.memoryMB = memoryMB
        self.architecture = architecture
    }

    /// Reads every key listed on the type.
    /// - Throws: `ConfigurationError` naming the variable that is malformed or the file not found.
    public init(environment: Environment) throws(ConfigurationError) {
        func file(_ variable: String, _ name: String) throws(ConfigurationError) -> String {
            try ConfigLocator.require(environment.string(variable, default: name), environment: environment)
        }
        let budgetMs = try environment.int("ROUTER_SIGNALS_BUDGET_MS", default: 1000, range: 1...60_000)
        var store: MongoUsageConfiguration?
        if let uri = environment["MONGODB_URI"], !uri.isEmpty {
            var configuration = try MongoUsageConfiguration(environment: environment)
            configuration.maxAttempts = 1
            configuration.backoffMilliseconds = 0
            configuration.serverSelectionTimeoutMilliseconds = max(
                50, min(configuration.serverSelectionTimeoutMilliseconds, budgetMs / 2))
            store = configuration
        }
        self.init(
            bundle: BundleFiles(
                policy: try file("SWITCHYARD_POLICY", "policy.json"),
                catalog: try file("SWITCHYARD_CATALOG", "catalog.json"),
                rates: try file("SWITCHYARD_RATES", "rates.json")),
            bundleTTL: .milliseconds(
                try environment.int("SWITCHYARD_BUNDLE_TTL_MS", default: 60_000, range: 0...86_400_000)),
            classifierURL: environment["SWITCHYARD_CLASSIFIER_URL"].flatMap { $0.isEmpty ? nil : $0 },
            classifierAPIKey: environment["SWITCHYARD_CLASSIFIER_API_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            signalsTTL: .milliseconds(
                try environment.int("ROUTER_SIGNALS_TTL_MS", default: 15000, range: 0...3_600_000)),
            signalsBudget: .milliseconds(budgetMs),
            signalsFile: try environment["SWITCHYARD_SIGNALS_FILE"].flatMap { name throws(ConfigurationError) in
                name.isEmpty ? nil : try ConfigLocator.require(name, environment: environment)
            },
            signalsStore: store,
            memoryMB: try ComputeEnvironment(environment: environment).memoryMB)
    }
}

extension RouterConfiguration {
    /// The configuration read after the secrets `SWITCHYARD_SECRETS` names are resolved into the
    /// environment (`MONGODB_URI` for the live signals, on AWS).
    /// - Throws: `ConfigurationError` naming the variable or the unreadable secret.
    public init(resolvingSecretsIn environment: Environment) async throws(ConfigurationError) {
        try self.init(environment: await SecretEnvironment.resolve(environment))
    }
}
