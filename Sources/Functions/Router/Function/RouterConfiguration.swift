import SwitchyardCore
import SwitchyardRouting

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The router function's settings, read once at init.
public struct RouterConfiguration: Sendable {
    /// Policy file. Env `SWITCHYARD_POLICY`; default `$LAMBDA_TASK_ROOT/policy.json` when it exists
    /// (the deployment zip), else `infra/policy.json` in the working directory or a parent.
    public var policyPath: String
    /// Overrides the policy's classifier base URL. Env `SWITCHYARD_CLASSIFIER_URL`.
    public var classifierURL: String?
    /// Bearer token for the classifier endpoint. Env `SWITCHYARD_CLASSIFIER_API_KEY`; never logged.
    public var classifierAPIKey: String?
    /// Live signals are cached this long. Env `ROUTER_SIGNALS_TTL_MS`, default 15000.
    public var signalsTTL: Duration
    /// A JSON file of spend and model health for local runs (`{"spend": {tenant: micro-USD},
    /// "health": {model: {"p50_ms", "p95_ms", "error_rate", "samples"}}}`). Env `SWITCHYARD_SIGNALS_FILE`.
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
        var defaultPath = Self.locate("infra/policy.json") ?? "infra/policy.json"
        if let root = environment["LAMBDA_TASK_ROOT"], access(root + "/policy.json", R_OK) == 0 {
            defaultPath = root + "/policy.json"
        }
        self.init(
            policyPath: environment.string("SWITCHYARD_POLICY", default: defaultPath),
            classifierURL: environment["SWITCHYARD_CLASSIFIER_URL"].flatMap { $0.isEmpty ? nil : $0 },
            classifierAPIKey: environment["SWITCHYARD_CLASSIFIER_API_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            signalsTTL: .milliseconds(
                try environment.int("ROUTER_SIGNALS_TTL_MS", default: 15000, range: 0...3_600_000)),
            signalsFile: environment["SWITCHYARD_SIGNALS_FILE"].flatMap { $0.isEmpty ? nil : (Self.locate($0) ?? $0) })
    }

    /// Finds a repository-relative file from the working directory or one of its parents, so a
    /// bootstrap started from `.build/…/release` (the local emulator) finds `infra/` files.
    /// Absolute paths are returned as they are.
    static func locate(_ path: String) -> String? {
        if path.hasPrefix("/") { return path }
        var prefix = ""
        for _ in 0..<6 {
            if access(prefix + path, R_OK) == 0 { return prefix + path }
            prefix += "../"
        }
        return nil
    }
}
