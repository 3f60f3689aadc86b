import NIOCore
import SwitchyardHTTP

/// Where an `http://` URL's request goes: the connection pool's key, the address to connect to and
/// what goes on the request line. Parsed once per URL and loop (`UpstreamLoop` keeps them).
struct UpstreamTarget {
    /// `host:port`: requests with the same key share kept-alive connections.
    let key: String
    let host: String
    let port: Int
    /// The host as a numeric address, connected to without a resolver (whose `getaddrinfo` runs
    /// on another thread); nil for a name.
    let address: SocketAddress?
    /// The `Host` header's value.
    let hostHeader: String
    /// The request target: path and query, percent-encoded as the URL gave them.
    let uri: String

    init(url: String) throws(TransportError) {
        guard let parsed = HTTPURL(url), parsed.scheme == "http", !parsed.host.isEmpty else {
            throw .invalidURL(url)
        }
        var host = parsed.host
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        port = parsed.port ?? 80
        self.host = host
        key = "\(host):\(port)"
        address = try? SocketAddress(ipAddress: host, port: port)
        hostHeader = parsed.hostHeader
        uri = parsed.query.isEmpty ? parsed.path : parsed.path + "?" + parsed.query
    }
}
