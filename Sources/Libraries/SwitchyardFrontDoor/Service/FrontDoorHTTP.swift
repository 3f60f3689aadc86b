/// A request as the front door sees it, whatever carried it (the single-process server's socket,
/// API Gateway's proxy event): method, path, headers (names lowercased) and the whole body.
public struct FrontDoorRequest: Sendable {
    public var method: String
    /// The path without the query string.
    public var path: String
    /// The query string without `?` (empty when there is none).
    public var query: String
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(method: String, path: String, headers: [(name: String, value: String)], body: [UInt8]) {
        self.method = method
        if let q = path.firstIndex(of: "?") {
            self.path = String(path[..<q])
            query = String(path[path.index(after: q)...])
        } else {
            self.path = path
            query = ""
        }
        self.headers = headers.map { (name: $0.name.lowercased(), value: $0.value) }
        self.body = body
    }

    /// The first value of a header (name in lowercase).
    public func header(_ name: String) -> String? { headers.first { $0.name == name }?.value }

    /// The key an earlier stage already authenticated (API Gateway's authorizer, for the ingress);
    /// nil: the front door checks `Authorization` itself. Transports that take requests from
    /// clients never set it.
    public var authenticatedKey: StoredKey?
}

/// The answer: a status, headers, and a body that is either whole or a stream of SSE events.
public struct FrontDoorResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        case events(EventStream)
    }

    public var status: Int
    public var headers: [(String, String)]
    public var body: Body

    public init(status: Int, headers: [(String, String)], body: Body) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: Int, _ body: [UInt8], headers: [(String, String)] = []) -> FrontDoorResponse {
        FrontDoorResponse(status: status, headers: [("content-type", "application/json")] + headers, body: .bytes(body))
    }

    public static func error(_ error: FrontDoorError, requestID: String?) -> FrontDoorResponse {
        var headers = error.headers
        if let requestID { headers.append(("x-request-id", requestID)) }
        return .json(error.status, error.body, headers: headers)
    }

    /// The whole body, for buffered answers (nil for streams).
    public var bytes: [UInt8]? {
        if case .bytes(let b) = body { return b }
        return nil
    }
}

/// Server-sent events as they are produced. The transport calls `cancel()` when the client goes
/// away: the upstream call stops, and what it generated so far is still billed.
public struct EventStream: Sendable {
    public let events: AsyncStream<[UInt8]>
    public let cancel: @Sendable () -> Void

    public init(events: AsyncStream<[UInt8]>, cancel: @escaping @Sendable () -> Void) {
        self.events = events
        self.cancel = cancel
    }
}
