import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Configuration values kept in Secrets Manager instead of the function's environment.
///
/// `SWITCHYARD_SECRETS` names secrets (comma-separated ids or ARNs) whose `SecretString` is a JSON
/// object of strings, e.g. `{"MONGODB_URI": "mongodb+srv://…"}`. Each member becomes a variable of
/// the environment a function's configuration is read from, so `MONGODB_URI` reaches the usage
/// store's configuration without ever being part of the Lambda configuration, and a function's
/// IAM policy decides which secrets it can read (`infra/template.yaml`).
///
/// Rules: a variable the environment already sets (non-empty) wins, so a local stack or a test
/// overrides a secret without touching it; names are `A-Z`, `0-9` and `_`, never `AWS_*`,
/// `LAMBDA_*` or `_*` (a secret cannot replace the function's own credentials or runtime
/// settings); values are never logged or put into errors.
public enum SecretEnvironment {
    /// The environment with the members of every secret `SWITCHYARD_SECRETS` names; unchanged
    /// when it names none.
    ///
    /// `transport` is made only when there is a secret to read: a `CurlTransport` runs
    /// `curl_global_init` (OpenSSL's start-up, 2.4 M instructions), which a function that never
    /// calls out over HTTP should not pay at init.
    /// - Throws: `Config.Invalid` naming the secret (never a value) when it cannot be read, is not
    ///   a JSON object of strings, or has a member name outside the rules.
    public static func resolve(
        _ environment: Environment, transport: @autoclosure () -> any HTTPTransport,
        deadline: ContinuousClock.Instant
    ) async throws(ConfigurationError) -> Environment {
        let ids = secretIDs(environment)
        if ids.isEmpty { return environment }
        let client = try SecretsManagerClient(environment: environment, transport: transport())
        var values = environment.values
        for id in ids {
            let text: String
            do {
                text = try await client.secretString(id, deadline: deadline)
            } catch {
                throw .invalid(
                    variable: "SWITCHYARD_SECRETS", value: id, expected: "a readable secret (\(error.errorType))")
            }
            guard let document = try? JSON.parse(Array(text.utf8)), case .object(let members) = document else {
                throw .invalid(variable: "SWITCHYARD_SECRETS", value: id, expected: "a secret holding a JSON object")
            }
            for (name, value) in members.members {
                guard isAllowedName(name), let string = value.stringValue else {
                    throw .invalid(
                        variable: "SWITCHYARD_SECRETS", value: id,
                        expected:
                            "string members named A-Z, 0-9, _ (not AWS_*, LAMBDA_*, _*); \(name.prefix(40)) is not")
                }
                if let current = values[name], !current.isEmpty { continue }
                values[name] = string
            }
        }
        return Environment(values)
    }

    /// `resolve` over libcurl with the init budget the functions give it (5 s), for a function's
    /// configuration at init.
    public static func resolve(_ environment: Environment) async throws(ConfigurationError) -> Environment {
        try await resolve(environment, transport: CurlTransport(), deadline: .now + .seconds(5))
    }

    /// The secret ids `SWITCHYARD_SECRETS` lists, in order, without blanks.
    public static func secretIDs(_ environment: Environment) -> [String] {
        environment.string("SWITCHYARD_SECRETS", default: "").split(separator: ",").map {
            String($0.drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
        }.filter { !$0.isEmpty }
    }

    /// Whether a secret member may become the variable `name`.
    public static func isAllowedName(_ name: String) -> Bool {
        guard (1...128).contains(name.utf8.count), !name.hasPrefix("AWS_"), !name.hasPrefix("LAMBDA_"),
            !name.hasPrefix("_")
        else { return false }
        return name.utf8.allSatisfy { ($0 >= 0x41 && $0 <= 0x5A) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x5F }
    }
}
