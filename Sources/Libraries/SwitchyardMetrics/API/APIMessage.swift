/// An HTTP request as the metrics API sees it, whichever way it came in (API Gateway's proxy
/// event on AWS, the local server's socket).
public struct APIRequest: Sendable, Equatable {
    public var method: String
    /// The path without the query string, e.g. `/api/summary`.
    public var path: String
    /// The raw query string without `?`.
    public var query: String
    /// Parameters already decoded by the caller (API Gateway's `queryStringParameters`); when
    /// set, `query` is not parsed.
    public var decodedQuery: [String: String]?
    /// Header names lowercased.
    public var headers: [String: String]
    public var body: [UInt8]

    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        decodedQuery = nil
    }

    /// Splits a request target (`/api/x?a=b`) into path and query.
    public init(method: String, target: String, headers: [String: String] = [:], body: [UInt8] = []) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.init(
            method: method, path: String(parts[0]), query: parts.count > 1 ? String(parts[1]) : "", headers: headers,
            body: body)
    }
}

/// The API's answer: always JSON.
public struct APIResponse: Sendable, Equatable {
    public var status: Int
    public var body: [UInt8]
    public var headers: [(String, String)] {
        [("Content-Type", "application/json"), ("Cache-Control", "no-store")]
    }

    public init(status: Int, body: [UInt8]) {
        self.status = status
        self.body = body
    }
}
