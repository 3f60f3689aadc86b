import SwitchyardCore
import SwitchyardMetrics

/// API Gateway's REST API Lambda proxy event (payload format 1.0), the fields the dashboard API reads.
public struct APIGatewayProxyEvent: Codable, Sendable, Equatable {
    public var httpMethod: String
    public var path: String
    public var headers: [String: String]?
    /// Already percent-decoded by API Gateway.
    public var queryStringParameters: [String: String]?
    public var body: String?
    public var isBase64Encoded: Bool?

    public init(
        httpMethod: String, path: String, headers: [String: String]? = nil,
        queryStringParameters: [String: String]? = nil, body: String? = nil, isBase64Encoded: Bool? = nil
    ) {
        self.httpMethod = httpMethod
        self.path = path
        self.headers = headers
        self.queryStringParameters = queryStringParameters
        self.body = body
        self.isBase64Encoded = isBase64Encoded
    }

    /// The request as the metrics API takes it: header names lowercased, the body decoded.
    /// - Throws: `Dashboard.InvalidParameter` for a body flagged base64 that is not.
    public func apiRequest() throws(MetricsError) -> APIRequest {
        var lowered: [String: String] = [:]
        for (name, value) in headers ?? [:] { lowered[name.lowercased()] = value }
        var bytes = Array((body ?? "").utf8)
        if isBase64Encoded == true {
            guard let decoded = try? Base64.decode(bytes) else {
                throw .invalidParameter(name: "body", problem: "flagged base64 but is not")
            }
            bytes = decoded
        }
        var request = APIRequest(method: httpMethod, path: path, headers: lowered, body: bytes)
        request.decodedQuery = queryStringParameters ?? [:]
        return request
    }
}

/// The proxy integration's answer.
public struct APIGatewayProxyResponse: Codable, Sendable, Equatable {
    public var statusCode: Int
    public var headers: [String: String]
    public var body: String
    public var isBase64Encoded: Bool

    public init(_ response: APIResponse) {
        statusCode = response.status
        var headers: [String: String] = [:]
        for (name, value) in response.headers { headers[name] = value }
        self.headers = headers
        body = String(decoding: response.body, as: UTF8.self)
        isBase64Encoded = false
    }
}
