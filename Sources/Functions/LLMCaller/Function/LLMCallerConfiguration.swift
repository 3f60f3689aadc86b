import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardImageFetch
import SwitchyardProviders

/// Everything the llm-caller reads from its environment and bundle, once, at init.
///
/// | variable | meaning (default) |
/// |---|---|
/// | `SWITCHYARD_BUNDLE_DIR` / `LAMBDA_TASK_ROOT` | where `catalog.json` is found (see `ConfigLocator`) |
/// | `SWITCHYARD_CATALOG_OVERLAY` | a catalog overlay replacing endpoints, regions, credential names (none) |
/// | `OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, catalog `credential` names | provider keys (else the secret below) |
/// | `LLM_PROVIDER_SECRET_ID` | Secrets Manager secret holding a JSON object of keys |
/// | `LLM_OPENAI_BASE_URL`, `LLM_ANTHROPIC_BASE_URL` | endpoints for models whose catalog entry names none |
/// | `LLM_COMPATIBLE_BASE_URL` | default OpenAI-compatible server (none) |
/// | `LLM_BEDROCK_BASE_URL` | Bedrock endpoint (regional endpoint of the model's region) |
/// | `LLM_MAX_ATTEMPTS_PER_MODEL` | attempts per model, 1 = no retry (2) |
/// | `LLM_RETRY_BASE_MS`, `LLM_MAX_RETRY_AFTER_MS` | backoff base (200), longest retry-after honoured (10000) |
/// | `LLM_COOLDOWN_FAILURES`, `LLM_COOLDOWN_SECONDS` | failures before a provider cools down (3), for how long (30) |
/// | `IMAGE_ACCESS_*` | which images may be read: `ImageAccessConfiguration`, as in vision (https, public hosts) |
/// | `LLM_IMAGE_ALLOW_HTTP`, `LLM_IMAGE_ALLOW_PRIVATE_HOSTS` | older names of those two; either true allows |
/// | `LLM_IMAGE_FETCH_TIMEOUT_MS` | per `s3://` image read, within the deadline (10000) |
/// | `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` | memory on usage records (set by Lambda; 128) |
/// | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` | Bedrock, Secrets Manager, S3 |
/// | `AWS_ENDPOINT_URL_S3` | a local S3 stand-in (none) |
/// | `RETRIEVAL_*` | the chunk store and index for retrieval plans: `RetrievalConfiguration` |
///
/// The invocation's deadline comes from the runtime with its reporting margin already taken off.
public struct LLMCallerConfiguration: Sendable {
    public var environment: Environment
    public var catalog: Catalog
    /// Default endpoint per provider, for catalog entries without one.
    public var baseURLs: [ProviderID: String]
    public var providerSecretID: String?
    public var retry: RetryPolicy
    public var cooldownFailures: Int
    public var cooldown: Duration
    /// Which images the deployment and each tenant may read; `policy(tenant:)` applies per call.
    public var imageAccess: ImageAccessConfiguration
    public var imageFetchTimeout: Duration
    public var compute: ComputeEnvironment
    public var awsCredentials: AWSCredentials?
    public var awsRegion: String
    /// Where retrieval plans search.
    public var retrieval: RetrievalConfiguration

    /// The deployment's image policy (tenants' S3 locations not included).
    public var imagePolicy: ImageAccessPolicy { imageAccess.deployment }

    /// Reads the environment and loads the catalog through `ConfigLocator`.
    /// - Throws: `Config.*` naming the variable or file.
    public init(environment: Environment) throws(ConfigurationError) {
        try self.init(environment: environment, parsed: nil)
    }

    /// As `init(environment:)`, taking a catalog another part of the same process already parsed
    /// from `parsed.path` (the ingress's router) when that is the file this configuration reads and
    /// no overlay rewrites it; otherwise it reads the file itself, as `init(environment:)` does.
    public init(environment: Environment, parsed: (path: String, catalog: Catalog)?) throws(ConfigurationError) {
        let path = try ConfigLocator.require("catalog.json", environment: environment)
        let overlay = environment["SWITCHYARD_CATALOG_OVERLAY"].flatMap { $0.isEmpty ? nil : $0 }
        if overlay == nil, let parsed, parsed.path == path {
            try self.init(environment: environment, catalog: parsed.catalog)
            return
        }
        var catalog = try Catalog.parse(try FileReader.read(path), source: "catalog.json")
        if let overlay {
            guard let path = ConfigLocator.locate(overlay, environment: environment) else {
                throw .unreadableFile(path: overlay, reason: "SWITCHYARD_CATALOG_OVERLAY names no readable file")
            }
            catalog = try catalog.applying(overlay: try FileReader.read(path), source: overlay)
        }
        try self.init(environment: environment, catalog: catalog)
    }

    /// With a catalog given (tests, tools, the single-process server).
    public init(environment: Environment, catalog: Catalog) throws(ConfigurationError) {
        for model in catalog.models where model.kind != .vision {
            if let name = model.credential, !CredentialResolver.isAllowedKeyName(name) {
                throw .invalidDocument(
                    source: "catalog",
                    detail: "\(model.id.rawValue): credential \(name.prefix(60)) is not an allowed key name "
                        + "(A-Z, 0-9, _; never AWS_*)")
            }
        }
        self.environment = environment
        self.catalog = catalog
        var urls: [ProviderID: String] = [:]
        for (provider, name, fallback) in [
            (ProviderID.openAI, "LLM_OPENAI_BASE_URL", "https://api.openai.com"),
            (.anthropic, "LLM_ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
            (.openAICompatible, "LLM_COMPATIBLE_BASE_URL", ""), (.bedrock, "LLM_BEDROCK_BASE_URL", ""),
        ] {
            let url = environment.string(name, default: fallback)
            if url.isEmpty { continue }
            guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                throw .invalid(variable: name, value: url, expected: "an http(s) URL")
            }
            urls[provider] = url
        }
        baseURLs = urls
        let secret = environment["LLM_PROVIDER_SECRET_ID"]
        providerSecretID = (secret?.isEmpty ?? true) ? nil : secret
        retry = RetryPolicy(
            maxAttemptsPerModel: try environment.int("LLM_MAX_ATTEMPTS_PER_MODEL", default: 2, range: 1...10),
            baseDelay: .milliseconds(try environment.int("LLM_RETRY_BASE_MS", default: 200, range: 0...60_000)),
            maxRetryAfter: .milliseconds(
                try environment.int("LLM_MAX_RETRY_AFTER_MS", default: 10_000, range: 0...600_000)))
        cooldownFailures = try environment.int("LLM_COOLDOWN_FAILURES", default: 3, range: 1...1000)
        cooldown = .seconds(try environment.int("LLM_COOLDOWN_SECONDS", default: 30, range: 0...3600))
        var access = try ImageAccessConfiguration(environment: environment)
        // The llm-caller's older names still work; either spelling set true allows.
        if try environment.bool("LLM_IMAGE_ALLOW_HTTP", default: false) { access.deployment.allowHTTP = true }
        if try environment.bool("LLM_IMAGE_ALLOW_PRIVATE_HOSTS", default: false) {
            access.deployment.allowPrivateHosts = true
        }
        imageAccess = access
        imageFetchTimeout = .milliseconds(
            try environment.int("LLM_IMAGE_FETCH_TIMEOUT_MS", default: 10_000, range: 1...900_000))
        compute = try ComputeEnvironment(environment: environment)
        awsCredentials = try? AWSCredentials.fromEnvironment(environment)
        awsRegion = (try? AWSEndpoint.region(environment)) ?? "us-east-1"
        retrieval = try RetrievalConfiguration(environment: environment)
    }
}

extension LLMCallerConfiguration {
    /// The configuration read after the secrets `SWITCHYARD_SECRETS` names are resolved into the
    /// environment (`MONGODB_URI` for the retrieval step's chunk store, on AWS).
    /// - Throws: `ConfigurationError` naming the variable or the unreadable secret.
    public init(resolvingSecretsIn environment: Environment) async throws(ConfigurationError) {
        try self.init(environment: await SecretEnvironment.resolve(environment))
    }
}
