import SwitchyardAWS
import SwitchyardCore
import SwitchyardProviders

/// Everything the llm-caller reads from its environment, once, at init.
///
/// | variable | meaning (default) |
/// |---|---|
/// | `OPENAI_API_KEY`, `ANTHROPIC_API_KEY` | provider keys (else read from the secret below) |
/// | `LLM_PROVIDER_SECRET_ID` | Secrets Manager secret holding a JSON object of keys |
/// | `LLM_OPENAI_BASE_URL`, `LLM_ANTHROPIC_BASE_URL` | endpoint overrides (the official APIs) |
/// | `LLM_COMPATIBLE_BASE_URL` | default OpenAI-compatible server (none) |
/// | `LLM_BEDROCK_BASE_URL` | Bedrock endpoint override (regional endpoint) |
/// | `LLM_MAX_ATTEMPTS_PER_MODEL` | attempts per model, 1 = no retry (2) |
/// | `LLM_RETRY_BASE_MS`, `LLM_MAX_RETRY_AFTER_MS` | backoff base (200), longest retry-after honoured (10000) |
/// | `LLM_COOLDOWN_FAILURES`, `LLM_COOLDOWN_SECONDS` | failures before a provider cools down (3), for how long (30) |
/// | `LLM_ATTEMPT_TIMEOUT_MS` | per-attempt timeout when the router gives none (30000) |
/// | `LLM_DEADLINE_MARGIN_MS` | time kept back from the Lambda deadline to report (300) |
/// | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION` | Bedrock and Secrets Manager |
public struct LLMCallerConfiguration: Sendable {
    public var environment: Environment
    public var baseURLs: [ProviderKind: String]
    public var providerSecretID: String?
    public var retry: RetryPolicy
    public var cooldownFailures: Int
    public var cooldown: Duration
    public var attemptTimeout: Duration
    public var deadlineMargin: Duration
    public var awsCredentials: AWSCredentials?
    public var awsRegion: String

    public init(environment: Environment) throws(ConfigurationError) {
        self.environment = environment
        var urls: [ProviderKind: String] = [:]
        for (kind, name) in [
            (ProviderKind.openai, "LLM_OPENAI_BASE_URL"), (.anthropic, "LLM_ANTHROPIC_BASE_URL"),
            (.openaiCompatible, "LLM_COMPATIBLE_BASE_URL"), (.bedrock, "LLM_BEDROCK_BASE_URL"),
        ] {
            if let url = environment[name], !url.isEmpty {
                guard url.hasPrefix("http://") || url.hasPrefix("https://") else {
                    throw .invalid(variable: name, value: url, expected: "an http(s) URL")
                }
                urls[kind] = url
            } else if let url = kind.defaultBaseURL {
                urls[kind] = url
            }
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
        attemptTimeout = .milliseconds(
            try environment.int("LLM_ATTEMPT_TIMEOUT_MS", default: 30_000, range: 100...900_000))
        deadlineMargin = .milliseconds(try environment.int("LLM_DEADLINE_MARGIN_MS", default: 300, range: 0...60_000))
        awsCredentials = try? AWSCredentials.fromEnvironment(environment)
        awsRegion = (try? AWSEndpoint.region(environment)) ?? "us-east-1"
    }
}
