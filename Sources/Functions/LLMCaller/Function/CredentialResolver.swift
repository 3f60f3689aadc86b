import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Finds a model's API key by the name the catalog gives it (or the provider's default name):
/// the environment first, then a field of the Secrets Manager secret `LLM_PROVIDER_SECRET_ID`
/// (cached by `SecretsManagerClient`). Names come from configuration only, never from an event.
/// Keys never reach logs, errors or outputs: only their names do.
public struct CredentialResolver: Sendable {
    let environment: Environment
    let secretID: String?
    let secrets: SecretsManagerClient?

    public init(environment: Environment, secretID: String?, secrets: SecretsManagerClient?) {
        self.environment = environment
        self.secretID = secretID
        self.secrets = secrets
    }

    public static func defaultKeyName(for provider: ProviderID) -> String? {
        switch provider {
        case .openAI: "OPENAI_API_KEY"
        case .anthropic: "ANTHROPIC_API_KEY"
        case .openAICompatible, .bedrock, .sagemaker, .lambda, .container: nil
        }
    }

    /// Whether `name` may name a provider key: upper-case letters, digits and `_`, and never one
    /// of the function's own AWS credentials (`AWS_*`), so no configuration can send those to a
    /// provider as an API key.
    public static func isAllowedKeyName(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), !name.hasPrefix("AWS_") else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }

    /// The key for a model, or nil where none is needed (Bedrock; compatible servers without one).
    /// - Parameter keyName: the catalog's `credential`, or nil for the provider's default.
    /// - Throws: `LLM.CredentialsUnavailable` naming the key (never its value).
    public func apiKey(for provider: ProviderID, keyName: String?, deadline: ContinuousClock.Instant)
        async throws(LLMError) -> String?
    {
        guard let name = keyName ?? Self.defaultKeyName(for: provider) else { return nil }
        guard Self.isAllowedKeyName(name) else {
            throw .credentialsUnavailable("\(name.prefix(60)) is not an allowed provider key name")
        }
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
        throw .credentialsUnavailable("\(name) is not set and no LLM_PROVIDER_SECRET_ID is configured")
    }
}
