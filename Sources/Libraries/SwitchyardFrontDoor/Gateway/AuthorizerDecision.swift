import SwitchyardCore
import SwitchyardJSON

/// API Gateway's REQUEST (or TOKEN) authorizer event: the `Authorization` header and the method ARN.
public struct AuthorizerEvent: Decodable, Sendable, Equatable {
    public var type: String?
    /// TOKEN authorizers: the header's value.
    public var authorizationToken: String?
    /// REQUEST authorizers: the request's headers (any case).
    public var headers: [String: String]?
    public var methodArn: String

    public init(
        type: String? = "REQUEST", authorizationToken: String? = nil, headers: [String: String]? = nil,
        methodArn: String
    ) {
        self.type = type
        self.authorizationToken = authorizationToken
        self.headers = headers
        self.methodArn = methodArn
    }

    /// The bearer credential, from either form.
    public var authorization: String? {
        if let token = authorizationToken { return token }
        return headers?.first { $0.key.lowercased() == "authorization" }?.value
    }
}

/// What the authorizer answers: an IAM policy allowing the whole API stage for the key's tenant,
/// the tenant and tier as context for the ingress, and the tier's usage-plan key
/// (`apiKeySource: AUTHORIZER`), so API Gateway's usage plans throttle and meter per tier.
public enum AuthorizerDecision {
    /// API Gateway answers 401 when the authorizer fails with exactly this message.
    public static let unauthorized = "Unauthorized"

    /// The authorizer's answer for `event`.
    /// - Parameters:
    ///   - usagePlanKeys: tier → the usage-plan API key value its callers are metered under.
    /// - Throws: `AuthorizerRefusal` (errorMessage `Unauthorized`) for a missing, unknown, revoked
    ///   or tampered key, and for a tier without a usage-plan key.
    public static func answer(_ event: AuthorizerEvent, keys: KeyStore, usagePlanKeys: [String: String])
        throws(AuthorizerRefusal) -> JSON
    {
        guard let header = event.authorization else { throw .init(reason: "no Authorization header") }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else {
            throw .init(reason: "Authorization is not a bearer key")
        }
        let key: StoredKey
        do { key = try keys.authenticate(String(parts[1])) } catch { throw .init(reason: error.errorType) }
        guard let usageKey = usagePlanKeys[key.tier] else { throw .init(reason: "tier \(key.tier) has no usage plan") }
        let statement = JSONObject([
            ("Action", "execute-api:Invoke"), ("Effect", "Allow"),
            ("Resource", .string(stageWildcard(event.methodArn))),
        ])
        return .object(
            JSONObject([
                ("principalId", .string(key.tenant)),
                (
                    "policyDocument",
                    .object(JSONObject([("Version", "2012-10-17"), ("Statement", .array([.object(statement)]))]))
                ),
                (
                    "context",
                    .object(
                        JSONObject([
                            ("tenant", .string(key.tenant)), ("tier", .string(key.tier)), ("keyId", .string(key.id)),
                            ("requestsPerMinute", .integer(Int64(key.limits.requestsPerMinute))),
                            ("tokensPerMinute", .integer(Int64(key.limits.tokensPerMinute))),
                        ]))
                ),
                ("usageIdentifierKey", .string(usageKey)),
            ]))
    }

    /// `arn:…:apiId/stage/METHOD/path` → `arn:…:apiId/stage/*/*`: the answer is cached per key for
    /// the authorizer TTL, so it must allow every route, not only the first one called.
    static func stageWildcard(_ methodArn: String) -> String {
        let parts = methodArn.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return methodArn }
        return parts[0] + "/" + parts[1] + "/*/*"
    }
}

/// A refusal; its `errorMessage` is API Gateway's magic `Unauthorized` (401), the reason is for logs.
public struct AuthorizerRefusal: FunctionError, Equatable {
    public var reason: String
    public var errorType: String { "FrontDoor.Unauthorized" }
    public var errorMessage: String { AuthorizerDecision.unauthorized }
}
