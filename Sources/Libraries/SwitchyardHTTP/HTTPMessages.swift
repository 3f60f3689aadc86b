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
    /// Connect to this address instead of resolving the URL's host (libcurl's `CURLOPT_RESOLVE`):
    /// for untrusted URLs, whose host was resolved and checked before the request was made, so a
    /// second DNS answer (a rebinding attack) cannot send the connection elsewhere. TLS still
    /// verifies the certificate against the URL's host name.
    public var pinnedAddress: PinnedAddress?

    public init(
        method: HTTPMethod = .get, url: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
        maxResponseBytes: Int = 16 << 20, pinnedAddress: PinnedAddress? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.maxResponseBytes = maxResponseBytes
        self.pinnedAddress = pinnedAddress
    }
}

/// The one address a request's host name must be connected to.
public struct PinnedAddress: Sendable, Equatable {
    /// The URL's host name, as it appears in the URL.
    public var host: String
    /// The port the URL names or implies.
    public var port: Int
    /// A numeric IPv4 (`93.184.216.34`) or IPv6 (`2606:2800::1`, without brackets) address.
    public var address: String

    public init(host: String, port: Int, address: String) {
        self.host = host
        self.port = port
        self.address = address
    }

    /// The `CURLOPT_RESOLVE` entry: `host:port:address`, IPv6 addresses in brackets.
    public var curlResolveEntry: String {
        address.contains(":") ? "\(host):\(port):[\(address)]" : "\(host):\(port):\(address)"
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
