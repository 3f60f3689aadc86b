import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardProviders

/// Finds a provider's API key: the environment first, then a field of the Secrets Manager
/// secret `LLM_PROVIDER_SECRET_ID` (cached by `SecretsManagerClient`). Keys never reach logs,
/// errors or outputs: only their names do.
public struct CredentialResolver: Sendable {
    let environment: Environment
    let secretID: String?
    let secrets: SecretsManagerClient?

    public init(environment: Environment, secretID: String?, secrets: SecretsManagerClient?) {
        self.environment = environment
        self.secretID = secretID
        self.secrets = secrets
    }

    public static func defaultKeyName(for provider: ProviderKind) -> String? {
        switch provider {
        case .openai: "OPENAI_API_KEY"
        case .anthropic: "ANTHROPIC_API_KEY"
        case .openaiCompatible, .bedrock: nil
        }
    }

    /// The key for `provider`, or nil where none is needed (Bedrock; compatible servers without one).
    public func apiKey(for provider: ProviderKind, keyName: String?, deadline: ContinuousClock.Instant)
        async throws(LLMError) -> String?
    {
        guard let name = keyName ?? Self.defaultKeyName(for: provider) else { return nil }
        if let value = environment[name], !value.isEmpty { return value }
        if let secretID, let secrets {
            do {
                return try await secrets.secretValue(secretID, field: name, deadline: deadline)
            } catch {
                throw .credentialsUnavailable(
                    "\(name) is not in the environment and could not be read from secret \(secretID): \(error.errorType)"
                )
            }
        }
        // A compatible server named its own key: missing is an error. The big providers: also.
        throw .credentialsUnavailable("\(name) is not set and no LLM_PROVIDER_SECRET_ID is configured")
    }
}
