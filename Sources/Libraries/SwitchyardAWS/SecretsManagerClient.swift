import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import Synchronization

/// Reads secrets with Secrets Manager `GetSecretValue`, caching each for `ttl` so a warm
/// function pays for the call once, not per invocation. Values are never logged or printed.
public final class SecretsManagerClient: Sendable {
    private let client: AWSJSONClient
    private let ttl: Duration
    private let cache = Mutex<[String: (value: String, expires: ContinuousClock.Instant)]>([:])

    public init(client: AWSJSONClient, ttl: Duration = .seconds(300)) {
        self.client = client
        self.ttl = ttl
    }

    /// Credentials, region and endpoint from the environment (see `AWSEndpoint`).
    public convenience init(environment: Environment, transport: any HTTPTransport, ttl: Duration = .seconds(300))
        throws(ConfigurationError)
    {
        let region = try AWSEndpoint.region(environment)
        let signer = SigV4Signer(
            credentials: try AWSCredentials.fromEnvironment(environment), region: region, service: "secretsmanager")
        let endpoint = AWSEndpoint.resolve(
            serviceID: "Secrets Manager", hostPrefix: "secretsmanager", region: region, environment: environment)
        self.init(
            client: AWSJSONClient(
                endpoint: endpoint, signer: signer, targetPrefix: "secretsmanager", transport: transport), ttl: ttl)
    }

    /// The secret's `SecretString`.
    public func secretString(_ secretID: String, deadline: ContinuousClock.Instant) async throws(AWSError) -> String {
        let now = ContinuousClock.now
        if let hit = cache.withLock({ $0[secretID] }), hit.expires > now { return hit.value }
        let document = try await client.call("GetSecretValue", ["SecretId": .string(secretID)], deadline: deadline)
        guard let value = document["SecretString"]?.stringValue else {
            throw .malformedResponse(
                service: "secretsmanager", detail: "GetSecretValue returned no SecretString for \(secretID)")
        }
        let expires = now.advanced(by: ttl)
        cache.withLock { $0[secretID] = (value, expires) }
        return value
    }

    /// One field of a secret stored as a JSON object (`{"OPENAI_API_KEY": "…"}`), or the whole
    /// string when `field` is nil.
    public func secretValue(_ secretID: String, field: String?, deadline: ContinuousClock.Instant)
        async throws(AWSError) -> String
    {
        let raw = try await secretString(secretID, deadline: deadline)
        guard let field else { return raw }
        guard let document = try? JSON.parse(raw), let value = document[field]?.stringValue else {
            throw .malformedResponse(
                service: "secretsmanager", detail: "secret \(secretID) has no string field \(field)")
        }
        return value
    }
}
