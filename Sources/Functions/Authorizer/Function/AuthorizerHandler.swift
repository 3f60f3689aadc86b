import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardJSON
import SwitchyardRuntime

/// The `authorizer` Lambda function: `Authorization: Bearer <key>` → tenant, tier and the tier's
/// usage-plan key, or `Unauthorized` (API Gateway's 401).
///
/// | variable | meaning |
/// |---|---|
/// | `SWITCHYARD_KEYS_FILE` | the key file (hashed keys), e.g. in the bundle (required) |
/// | `SWITCHYARD_USAGE_PLAN_KEYS` | JSON object tier → usage-plan key value (required) |
public struct AuthorizerHandler: ByteHandler {
    public let keys: KeyRing
    public let usagePlanKeys: [String: String]

    public init(keys: KeyRing, usagePlanKeys: [String: String]) {
        self.keys = keys
        self.usagePlanKeys = usagePlanKeys
    }

    /// Reads the key file and the usage-plan map once, at init.
    /// - Throws: `ConfigurationError` naming the variable, `FrontDoor.Internal` for a bad key file.
    public init(environment: Environment) throws {
        let map = try environment.require("SWITCHYARD_USAGE_PLAN_KEYS")
        guard let plans = try? JSON.decode([String: String].self, from: map) else {
            throw ConfigurationError.invalid(
                variable: "SWITCHYARD_USAGE_PLAN_KEYS", value: String(map.prefix(60)),
                expected: "a JSON object of strings")
        }
        self.init(keys: try KeyRing(path: try environment.require("SWITCHYARD_KEYS_FILE")), usagePlanKeys: plans)
    }

    public func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        let decoded: AuthorizerEvent
        do { decoded = try JSON.decode(AuthorizerEvent.self, from: event) } catch {
            throw RuntimeError.invalidEvent(describeDecodingError(error))
        }
        do {
            return try AuthorizerDecision.answer(decoded, keys: keys.current(), usagePlanKeys: usagePlanKeys)
                .serialized()
        } catch {
            context.logger.info("refused", metadata: ["switchyard.reason": .string(error.reason)])
            throw error
        }
    }
}
