import SwitchyardCore
import SwitchyardRouting

/// The router function's settings, read once at init.
public struct RouterConfiguration: Sendable {
    /// Policy file. Env `SWITCHYARD_POLICY`; default `policy.json` found by `ConfigLocator`.
    public var policyPath: String
    /// Overrides the policy's classifier base URL. Env `SWITCHYARD_CLASSIFIER_URL`.
    public var classifierURL: String?
    /// Bearer token for the classifier endpoint. Env `SWITCHYARD_CLASSIFIER_API_KEY`; never logged.
    public var classifierAPIKey: String?
    /// Live signals are cached this long. Env `ROUTER_SIGNALS_TTL_MS`, default 15000.
    public var signalsTTL: Duration
    /// A JSON file of spend and model health for local runs (`{"spend": {tenant: micro-USD},
    /// "health": {model: {"p50_ms", "p95_ms", "error_rate", "samples"}}}`). Env `SWITCHYARD_SIGNALS_FILE`
    /// (an absolute path, or one relative to the bundle folder, found by `ConfigLocator`).
    public var signalsFile: String?

    public init(
        policyPath: String, classifierURL: String? = nil, classifierAPIKey: String? = nil,
        signalsTTL: Duration = .seconds(15),
        signalsFile: String? = nil
    ) {
        self.policyPath = policyPath
        self.classifierURL = classifierURL
        self.classifierAPIKey = classifierAPIKey
        self.signalsTTL = signalsTTL
        self.signalsFile = signalsFile
    }

    /// - Throws: `ConfigurationError` naming the variable that is malformed.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init(
            policyPath: environment.string(
                "SWITCHYARD_POLICY",
                default: ConfigLocator.locate("policy.json", environment: environment) ?? "policy.json"),
            classifierURL: environment["SWITCHYARD_CLASSIFIER_URL"].flatMap { $0.isEmpty ? nil : $0 },
            classifierAPIKey: environment["SWITCHYARD_CLASSIFIER_API_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            signalsTTL: .milliseconds(
                try environment.int("ROUTER_SIGNALS_TTL_MS", default: 15000, range: 0...3_600_000)),
            signalsFile: environment["SWITCHYARD_SIGNALS_FILE"].flatMap {
                $0.isEmpty ? nil : (ConfigLocator.locate($0, environment: environment) ?? $0)
            })
    }
}
