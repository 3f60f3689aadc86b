import SwitchyardAWS
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRuntime

/// The `authorizer` Lambda function: `Authorization: Bearer <key>` → tenant, tier and the tier's
/// usage-plan key, or `Unauthorized` (API Gateway's 401).
///
/// | variable | meaning |
/// |---|---|
/// | `SWITCHYARD_KEYS_FILE` | the key file (hashed keys); when unset, the keys are in MongoDB |
/// | `MONGODB_URI`, `SWITCHYARD_DB` | the key store's database (collection `keys`), e.g. through `SWITCHYARD_SECRETS` |
/// | `SWITCHYARD_KEYS_TTL_MS` | how long MongoDB's keys are cached: a revocation takes effect within it (30000) |
/// | `SWITCHYARD_USAGE_PLAN_KEYS` | JSON object tier → usage-plan key value (required) |
public struct AuthorizerHandler: ByteHandler {
    public let keys: any KeySource
    public let usagePlanKeys: [String: String]

    public init(keys: any KeySource, usagePlanKeys: [String: String]) {
        self.keys = keys
        self.usagePlanKeys = usagePlanKeys
    }

    /// Reads the configuration once, at init (secrets named by `SWITCHYARD_SECRETS` first).
    /// - Throws: `ConfigurationError` naming the variable, `FrontDoor.Internal` for a bad key file.
    public init(environment base: Environment) async throws {
        let environment = try await SecretEnvironment.resolve(
            base, transport: CurlTransport(), deadline: .now + .seconds(5))
        let map = try environment.require("SWITCHYARD_USAGE_PLAN_KEYS")
        guard let plans = try? JSON.decode([String: String].self, from: map) else {
            throw ConfigurationError.invalid(
                variable: "SWITCHYARD_USAGE_PLAN_KEYS", value: String(map.prefix(60)),
                expected: "a JSON object of strings")
        }
        if let file = environment["SWITCHYARD_KEYS_FILE"], !file.isEmpty {
            self.init(keys: try KeyRing(path: file), usagePlanKeys: plans)
        } else {
            let ttl = try environment.int("SWITCHYARD_KEYS_TTL_MS", default: 30_000, range: 0...3_600_000)
            self.init(
                keys: try MongoKeyStore(environment: environment, ttl: .milliseconds(Int64(ttl))),
                usagePlanKeys: plans)
        }
    }

    public func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        let decoded: AuthorizerEvent
        do { decoded = try JSON.decode(AuthorizerEvent.self, from: event) } catch {
            throw RuntimeError.invalidEvent(describeDecodingError(error))
        }
        do {
            do {
                return try AuthorizerDecision.answer(
                    decoded, keys: keys.keys(recheck: false), usagePlanKeys: usagePlanKeys
                )
                .serialized()
            } catch let refusal as AuthorizerRefusal where refusal.reason == "FrontDoor.InvalidAPIKey" {
                // A key created a moment ago: look at the store once more before refusing.
                return try AuthorizerDecision.answer(
                    decoded, keys: keys.keys(recheck: true), usagePlanKeys: usagePlanKeys
                )
                .serialized()
            }
        } catch let refusal as AuthorizerRefusal {
            context.logger.info("refused", metadata: ["switchyard.reason": .string(refusal.reason)])
            throw refusal
        }
    }
}
