/// The parts of an absolute `http(s)` URL that signing and routing need. Not a general URL
/// parser: no user info, no fragments; the path and query stay percent-encoded as given.
public struct HTTPURL: Sendable, Equatable {
    public var scheme: String
    /// Host name without the port.
    public var host: String
    public var port: Int?
    /// Starts with `/`; `/` when the URL has none.
    public var path: String
    /// Without the leading `?`; empty when absent.
    public var query: String

    public init?(_ string: String) {
        let scheme: String
        if string.hasPrefix("https://") {
            scheme = "https"
        } else if string.hasPrefix("http://") {
            scheme = "http"
        } else {
            return nil
        }
        var rest = string.dropFirst(scheme.count + 3)
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var pathAndQuery = rest[authorityEnd...]
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            guard let port = Int(authority[authority.index(after: colon)...]), (1...65535).contains(port) else {
                return nil
            }
            self.host = String(authority[..<colon])
            self.port = port
        } else {
            self.host = String(authority)
            self.port = nil
        }
        self.scheme = scheme
        if let q = pathAndQuery.firstIndex(of: "?") {
            self.query = String(pathAndQuery[pathAndQuery.index(after: q)...])
            pathAndQuery = pathAndQuery[..<q]
        } else {
            self.query = ""
        }
        self.path = pathAndQuery.isEmpty ? "/" : String(pathAndQuery)
    }

    /// `host` or `host:port` when the port is not the scheme's default: the `Host` header value.
    public var hostHeader: String {
        guard let port else { return host }
        let isDefault = (scheme == "https" && port == 443) || (scheme == "http" && port == 80)
        return isDefault ? host : "\(host):\(port)"
    }
}
