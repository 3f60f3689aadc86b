import CCurl
import SwitchyardCore
import Synchronization

/// `HTTPTransport` over libcurl's easy interface.
///
/// Easy handles are pooled: a handle keeps its connection cache, DNS cache and TLS session
/// between transfers, so calls to the same provider reuse a kept-alive connection instead of
/// paying for a TCP and TLS handshake each time. A transfer runs on the calling task's thread
/// (a Lambda handles one invocation at a time, and this avoids a thread hop per call); its
/// duration is bounded by the deadline, which becomes libcurl's total timeout.
public final class CurlTransport: HTTPTransport {
    public struct Configuration: Sendable {
        /// Idle handles kept for reuse; more concurrent transfers get fresh handles.
        public var maxIdleHandles: Int
        /// Upper bound on connection setup, within the request deadline.
        public var connectTimeout: Duration
        /// CA bundle for TLS; `nil` uses libcurl's built-in default.
        public var caBundlePath: String?
        public var userAgent: String

        public init(
            maxIdleHandles: Int = 8, connectTimeout: Duration = .seconds(5),
            caBundlePath: String? = CurlTransport.defaultCABundle(), userAgent: String = "switchyard/1.0"
        ) {
            self.maxIdleHandles = maxIdleHandles
            self.connectTimeout = connectTimeout
            self.caBundlePath = caBundlePath
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    private let idle = Mutex<[CurlEasyHandle]>([])

    /// libcurl's process-wide setup; must run once before any handle exists.
    package static let globalInit: Void = {
        _ = OpenSSLStart.once
        _ = curl_global_init(3)  // CURL_GLOBAL_ALL (SSL | WIN32); a compound macro Swift cannot import
    }()

    public init(configuration: Configuration = Configuration()) {
        _ = Self.globalInit
        self.configuration = configuration
    }

    /// The CA bundle to use: `CURL_CA_BUNDLE` or `SSL_CERT_FILE`, else the first bundle found
    /// among the Debian and Amazon Linux locations (the Debian-built libcurl bundled into a
    /// Lambda zip looks only at Debian's path otherwise).
    public static func defaultCABundle(environment: Environment = .process) -> String? {
        for name in ["CURL_CA_BUNDLE", "SSL_CERT_FILE"] {
            if let path = environment[name], !path.isEmpty { return path }
        }
        for path in ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"]
        where access(path, R_OK) == 0 {
            return path
        }
        return nil
    }

    public func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
        -> HTTPResponse
    {
        let transfer = CurlTransfer(limit: request.maxResponseBytes)
        let ttfb = try perform(request, deadline: deadline, transfer: transfer)
        return HTTPResponse(
            status: transfer.status, headers: transfer.headers, body: transfer.body, timeToFirstByte: ttfb)
    }

    public func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead {
        let transfer = CurlTransfer(
            limit: request.maxResponseBytes,
            onHead: { receiver.receiveHead($0) },
            onBody: { receiver.receiveBody($0) }
        )
        _ = try perform(request, deadline: deadline, transfer: transfer)
        return transfer.head
    }

    // MARK: - Transfer

    private func perform(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, transfer: CurlTransfer
    ) throws(TransportError) -> Duration? {
        let timeoutMs = try CurlRequestOptions.timeoutMilliseconds(request, deadline: deadline)

        // A pinned request gets a handle of its own, never pooled: a pooled handle's DNS cache and
        // kept-alive connections could otherwise carry the pinned answer to, or an unchecked
        // connection into, another transfer for the same host.
        let pinned = request.pinnedAddress != nil
        let handle = pinned ? CurlEasyHandle() : checkOut()
        defer { if !pinned { checkIn(handle) } }
        let h = handle.raw
        let options = CurlRequestOptions(
            handle: h, request: request, timeoutMs: timeoutMs, configuration: configuration, transfer: transfer)
        let code: CURLcode = withExtendedLifetime(options) {
            request.body.withUnsafeBytes { body in
                // Not copied by libcurl: `body` stays valid for the whole (blocking) transfer.
                CurlRequestOptions.setMethod(h, request.method, body: body, copy: false)
                return curl_easy_perform(h)
            }
        }
        if code != CURLE_OK {
            throw CurlRequestOptions.error(for: code, transfer: transfer, timeoutMs: timeoutMs)
        }
        transfer.deliverHead()
        return CurlRequestOptions.timeToFirstByte(h)
    }

    // MARK: - Handle pool

    private func checkOut() -> CurlEasyHandle {
        if let handle = idle.withLock({ $0.popLast() }) { return handle }
        return CurlEasyHandle()
    }

    private func checkIn(_ handle: CurlEasyHandle) {
        let limit = configuration.maxIdleHandles
        idle.withLock { pool in
            if pool.count < limit { pool.append(handle) }
        }
    }
}

/// Owns one `CURL *`. Used by one transfer at a time (taken from, then returned to, the pool).
package final class CurlEasyHandle: @unchecked Sendable {
    package let raw: UnsafeMutableRawPointer

    package init() {
        guard let raw = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }
}
