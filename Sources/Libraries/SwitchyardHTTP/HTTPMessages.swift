/// The request methods Switchyard's clients send.
public enum HTTPMethod: String, Sendable, Equatable {
    case get = "GET"
    case post = "POST"
    case put = "PUT"
    case delete = "DELETE"
    case head = "HEAD"
}

/// One outbound request, fully buffered.
public struct HTTPRequest: Sendable, Equatable {
    public var method: HTTPMethod
    /// Absolute `http://` or `https://` URL, already percent-encoded as it goes on the wire.
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Largest response body accepted; a larger one fails with `TransportError.responseTooLarge`,
    /// so a misbehaving upstream cannot exhaust a 128 MB function's memory.
    public var maxResponseBytes: Int

    public init(
        method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
        maxResponseBytes: Int = 16 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.maxResponseBytes = maxResponseBytes
    }
}

/// Status line and headers of a response.
public struct HTTPResponseHead: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }

    public var isSuccess: Bool { (200..<300).contains(status) }
}

/// A complete, buffered response.
public struct HTTPResponse: Sendable, Equatable {
    public var status: Int
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// From sending the request to the first response byte, as the transport measured it.
    public var timeToFirstByte: Duration?

    public init(status: Int, headers: HTTPHeaders = [:], body: [UInt8] = [], timeToFirstByte: Duration? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
        self.timeToFirstByte = timeToFirstByte
    }

    public var head: HTTPResponseHead { HTTPResponseHead(status: status, headers: headers) }
    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}
