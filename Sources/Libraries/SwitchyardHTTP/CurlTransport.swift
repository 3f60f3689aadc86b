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
    private static let globalInit: Void = {
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
        let remaining = ContinuousClock.now.duration(to: deadline)
        let timeoutMs = Self.milliseconds(remaining)
        guard timeoutMs > 0 else { throw .timeout(milliseconds: 0) }
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw .invalidURL(request.url)
        }

        // A pinned request gets a handle of its own, never pooled: a pooled handle's DNS cache and
        // kept-alive connections could otherwise carry the pinned answer to, or an unchecked
        // connection into, another transfer for the same host.
        let pinned = request.pinnedAddress != nil
        let handle = pinned ? CurlEasyHandle() : checkOut()
        defer { if !pinned { checkIn(handle) } }
        let h = handle.raw
        curl_easy_reset(h)  // clears options, keeps connections and caches

        var resolveList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(resolveList) }
        if let pin = request.pinnedAddress {
            resolveList = curl_slist_append(resolveList, pin.curlResolveEntry)
            _ = switchyard_curl_setopt_ptr(h, CURLOPT_RESOLVE, resolveList)
        }

        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        for field in request.headers.fields {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        // No `Expect: 100-continue` round trip before large bodies: it costs a full RTT.
        headerList = curl_slist_append(headerList, "Expect:")
        defer { curl_slist_free_all(headerList) }

        _ = switchyard_curl_setopt_ptr(h, CURLOPT_URL, request.url)
        _ = switchyard_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = switchyard_curl_setopt_long(h, CURLOPT_TCP_NODELAY, 1)
        _ = switchyard_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        _ = switchyard_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, timeoutMs)
        _ = switchyard_curl_setopt_long(
            h, CURLOPT_CONNECTTIMEOUT_MS, max(1, min(timeoutMs, Self.milliseconds(configuration.connectTimeout))))
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_USERAGENT, configuration.userAgent)
        if let ca = configuration.caBundlePath { _ = switchyard_curl_setopt_ptr(h, CURLOPT_CAINFO, ca) }
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)

        let user = Unmanaged.passUnretained(transfer).toOpaque()
        _ = switchyard_curl_setopt_write(h, CURLOPT_WRITEFUNCTION, CurlCallbacks.write)
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_WRITEDATA, user)
        _ = switchyard_curl_setopt_write(h, CURLOPT_HEADERFUNCTION, CurlCallbacks.header)
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_HEADERDATA, user)

        let code: CURLcode = request.body.withUnsafeBytes { body in
            switch request.method {
            case .get: break
            case .head: _ = switchyard_curl_setopt_long(h, CURLOPT_NOBODY, 1)
            case .post, .put, .delete:
                if request.method != .post {
                    _ = switchyard_curl_setopt_ptr(h, CURLOPT_CUSTOMREQUEST, request.method.rawValue)
                }
                _ = switchyard_curl_setopt_long(h, CURLOPT_POST, 1)
                _ = switchyard_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
                // Not copied by libcurl: `body` stays valid for the whole transfer.
                _ = switchyard_curl_setopt_ptr(
                    h, CURLOPT_POSTFIELDS, body.baseAddress ?? UnsafeRawPointer(bitPattern: 1))
            }
            return curl_easy_perform(h)
        }

        if code != CURLE_OK {
            throw Self.map(code, transfer: transfer, timeoutMs: timeoutMs)
        }
        transfer.deliverHead()
        var startTransfer: curl_off_t = 0
        if switchyard_curl_getinfo_off(h, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer) == CURLE_OK {
            return .microseconds(Int64(startTransfer))
        }
        return nil
    }

    private static func map(_ code: CURLcode, transfer: CurlTransfer, timeoutMs: Int) -> TransportError {
        if transfer.overLimit { return .responseTooLarge(limit: transfer.limit) }
        if transfer.abortedByReceiver { return .aborted }
        let message = String(cString: curl_easy_strerror(code))
        switch code {
        case CURLE_OPERATION_TIMEDOUT: return .timeout(milliseconds: Int64(timeoutMs))
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_SSL_CONNECT_ERROR,
            CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE:
            return .connectFailed(message)
        case CURLE_GOT_NOTHING, CURLE_RECV_ERROR, CURLE_SEND_ERROR, CURLE_PARTIAL_FILE:
            return .connectionClosed(message)
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL: return .invalidURL(message)
        default: return .io(message)
        }
    }

    /// Whole milliseconds for curl's options, clamped to 0...1 day.
    private static func milliseconds(_ d: Duration) -> Int {
        Int(min(max(d.milliseconds, 0), 86_400_000))
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
final class CurlEasyHandle: @unchecked Sendable {
    let raw: UnsafeMutableRawPointer

    init() {
        guard let raw = curl_easy_init() else { fatalError("curl_easy_init failed: out of memory") }
        self.raw = raw
    }

    deinit { curl_easy_cleanup(raw) }
}
