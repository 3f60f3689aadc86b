import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardJSON

/// API Gateway's REST proxy event (payload format 1.0), as much of it as the ingress reads.
public struct APIGatewayProxyEvent: Decodable, Sendable {
    public var httpMethod: String
    /// The resource path without the stage (`/v1/chat/completions`).
    public var path: String
    /// Last value of each header; `multiValueHeaders` is not needed (the front door reads one value).
    public var headers: [String: String]?
    public var body: String?
    public var isBase64Encoded: Bool?
    public var requestContext: RequestContext?

    public struct RequestContext: Decodable, Sendable {
        public var requestId: String?
        /// What the authorizer put in `context` (API Gateway turns every value into a string), plus
        /// its `principalId`.
        public var authorizer: [String: JSON]?
    }

    /// The key the authorizer admitted, from its context: tenant, tier, key id and the key's limits.
    /// nil when the context is missing or malformed (a route without the authorizer): the ingress
    /// then refuses the request as unauthenticated rather than trusting anything in the body.
    public var authorizedKey: StoredKey? {
        guard let context = requestContext?.authorizer,
            let tenant = Self.text(context["tenant"]), Identifier.isValid(tenant),
            let tier = Self.text(context["tier"]), Identifier.isValid(tier),
            let id = Self.text(context["keyId"]), id.utf8.count == APIKey.idDigits, Identifier.isValid(id)
        else { return nil }
        let rpm = Self.number(context["requestsPerMinute"]) ?? KeyLimits.defaults.requestsPerMinute
        let tpm = Self.number(context["tokensPerMinute"]) ?? KeyLimits.defaults.tokensPerMinute
        guard KeyLimits.range.contains(rpm), KeyLimits.range.contains(tpm) else { return nil }
        // The hash stays empty: the authorizer compared the key; the ingress never sees a key's hash.
        return StoredKey(
            id: id, hash: "", tenant: tenant, tier: tier, createdAtMs: 0,
            limits: KeyLimits(requestsPerMinute: rpm, tokensPerMinute: tpm))
    }

    static func text(_ value: JSON?) -> String? {
        switch value {
        case .string(let s)?: s
        case .integer(let i)?: String(i)
        default: nil
        }
    }

    static func number(_ value: JSON?) -> Int? {
        switch value {
        case .integer(let i)?: Int(exactly: i)
        case .string(let s)? where s.utf8.count <= 12: Int(s)
        default: nil
        }
    }

    /// The request as the front door takes it, with the body decoded from base64 when API
    /// Gateway encoded it.
    /// - Throws: `FrontDoor.PayloadTooLarge` past `maxBodyBytes`, `FrontDoor.InvalidRequest` for a
    ///   body that claims base64 and is not.
    public func frontDoorRequest(maxBodyBytes: Int) throws(FrontDoorError) -> FrontDoorRequest {
        let text = body ?? ""
        // Base64 is 4/3 of the bytes: refuse before decoding anything that cannot fit.
        guard text.utf8.count <= (isBase64Encoded == true ? maxBodyBytes / 3 * 4 + 4 : maxBodyBytes) else {
            throw .payloadTooLarge(limit: maxBodyBytes)
        }
        var bytes = Array(text.utf8)
        if isBase64Encoded == true {
            guard let decoded = try? Base64.decode(text) else {
                throw .invalidRequest(param: nil, message: "the body is marked base64 and does not decode")
            }
            bytes = decoded
        }
        guard bytes.count <= maxBodyBytes else { throw .payloadTooLarge(limit: maxBodyBytes) }
        return FrontDoorRequest(
            method: httpMethod.uppercased(), path: path,
            headers: (headers ?? [:]).map { (name: $0.key, value: $0.value) }, body: bytes)
    }
}

/// How a streamed Lambda answer reaches an HTTP client through API Gateway's response streaming
/// (and function URLs): content type `application/vnd.awslambda.http-integration-response`, a JSON
/// prelude with the status and headers, eight zero bytes, then the body as it is written.
public enum HTTPIntegrationResponse {
    public static let contentType = "application/vnd.awslambda.http-integration-response"
    public static let delimiter = [UInt8](repeating: 0, count: 8)

    /// The prelude and the delimiter.
    public static func prelude(status: Int, headers: [(String, String)]) -> [UInt8] {
        var object = JSONObject()
        for (name, value) in headers where object[name] == nil { object[name] = .string(value) }
        let prelude = JSON.object(
            JSONObject([("statusCode", .integer(Int64(status))), ("headers", .object(object)), ("cookies", .array([]))])
        )
        return prelude.serialized() + delimiter
    }
}
