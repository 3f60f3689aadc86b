import SwitchyardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Turns a host name into addresses. The fetcher checks every answer and connects only to an
/// address it checked; tests script the answers (including ones that change between calls).
public protocol HostResolver: Sendable {
    /// Every address `host` resolves to for a TCP connection to `port`.
    /// - Throws: `Image.FetchFailed` when the name does not resolve.
    func resolve(host: String, port: Int) throws(ImageFetchError) -> [IPAddress]
}

/// The system resolver (`getaddrinfo`, IPv4 and IPv6), as libcurl itself would use it. Blocks
/// the calling thread for the lookup; a Lambda serves one invocation at a time.
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func resolve(host: String, port: Int) throws(ImageFetchError) -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &list)
        guard status == 0 else {
            let reason = gai_strerror(status).map { String(cString: $0) } ?? "error \(status)"
            throw .fetchFailed(source: host, detail: "cannot resolve the host: \(reason)")
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor {
            if let address = Self.address(entry.pointee.ai_addr), !addresses.contains(address) {
                addresses.append(address)
            }
            cursor = entry.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw .fetchFailed(source: host, detail: "the host has no address") }
        return addresses
    }

    static func address(_ pointer: UnsafeMutablePointer<sockaddr>?) -> IPAddress? {
        guard let pointer else { return nil }
        switch Int32(pointer.pointee.sa_family) {
        case AF_INET:
            return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) {
                .v4(UInt32(bigEndian: $0.pointee.sin_addr.s_addr))
            }
        case AF_INET6:
            return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                .v6(withUnsafeBytes(of: $0.pointee.sin6_addr) { Array($0) })
            }
        default:
            return nil
        }
    }
}
