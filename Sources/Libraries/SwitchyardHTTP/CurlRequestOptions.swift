import CCurl

/// One request's options on an easy handle, shared by `CurlTransport` (easy interface) and the
/// server's `CurlMultiTransport` (multi interface), so both send exactly the same request. Owns
/// the lists libcurl reads during the transfer: keep it alive until the transfer has ended.
package final class CurlRequestOptions {
    private var resolveList: UnsafeMutablePointer<curl_slist>? = nil
    private var headerList: UnsafeMutablePointer<curl_slist>? = nil

    /// Checks the URL and the time left; the whole milliseconds left for libcurl's total timeout.
    package static func timeoutMilliseconds(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant
    ) throws(TransportError) -> Int {
        let timeoutMs = milliseconds(ContinuousClock.now.duration(to: deadline))
        guard timeoutMs > 0 else { throw .timeout(milliseconds: 0) }
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw .invalidURL(request.url)
        }
        return timeoutMs
    }

    /// Resets `h` (connections and caches stay) and sets everything but the body.
    package init(
        handle h: UnsafeMutableRawPointer, request: HTTPRequest, timeoutMs: Int,
        configuration: CurlTransport.Configuration, transfer: CurlTransfer
    ) {
        curl_easy_reset(h)
        if let pin = request.pinnedAddress {
            resolveList = curl_slist_append(resolveList, pin.curlResolveEntry)
            _ = switchyard_curl_setopt_ptr(h, CURLOPT_RESOLVE, resolveList)
        }
        for field in request.headers.fields {
            headerList = curl_slist_append(headerList, "\(field.name): \(field.value)")
        }
        // No `Expect: 100-continue` round trip before large bodies: it costs a full RTT.
        headerList = curl_slist_append(headerList, "Expect:")

        _ = switchyard_curl_setopt_ptr(h, CURLOPT_URL, request.url)
        _ = switchyard_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = switchyard_curl_setopt_long(h, CURLOPT_TCP_NODELAY, 1)
        _ = switchyard_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        _ = switchyard_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, timeoutMs)
        _ = switchyard_curl_setopt_long(
            h, CURLOPT_CONNECTTIMEOUT_MS,
            max(1, min(timeoutMs, Self.milliseconds(configuration.connectTimeout))))
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_USERAGENT, configuration.userAgent)
        if let ca = configuration.caBundlePath { _ = switchyard_curl_setopt_ptr(h, CURLOPT_CAINFO, ca) }
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_HTTPHEADER, headerList)

        let user = Unmanaged.passUnretained(transfer).toOpaque()
        _ = switchyard_curl_setopt_write(h, CURLOPT_WRITEFUNCTION, CurlCallbacks.write)
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_WRITEDATA, user)
        _ = switchyard_curl_setopt_write(h, CURLOPT_HEADERFUNCTION, CurlCallbacks.header)
        _ = switchyard_curl_setopt_ptr(h, CURLOPT_HEADERDATA, user)
    }

    deinit {
        curl_slist_free_all(resolveList)
        curl_slist_free_all(headerList)
    }

    /// The method, and the body for those that send one. `copy: false` leaves `body` uncopied,
    /// so it must stay valid until the transfer ends (the easy interface's blocking perform);
    /// `copy: true` has libcurl keep its own copy (a transfer that outlives the caller's frame).
    package static func setMethod(
        _ h: UnsafeMutableRawPointer, _ method: HTTPMethod, body: UnsafeRawBufferPointer, copy: Bool
    ) {
        switch method {
        case .get: break
        case .head: _ = switchyard_curl_setopt_long(h, CURLOPT_NOBODY, 1)
        case .post, .put, .delete:
            if method != .post {
                _ = switchyard_curl_setopt_ptr(h, CURLOPT_CUSTOMREQUEST, method.rawValue)
            }
            _ = switchyard_curl_setopt_long(h, CURLOPT_POST, 1)
            _ = switchyard_curl_setopt_off(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
            let pointer = body.baseAddress ?? UnsafeRawPointer(bitPattern: 1)
            _ = switchyard_curl_setopt_ptr(h, copy ? CURLOPT_COPYPOSTFIELDS : CURLOPT_POSTFIELDS, pointer)
        }
    }

    /// Time to the first byte, as libcurl measured it.
    package static func timeToFirstByte(_ h: UnsafeMutableRawPointer) -> Duration? {
        var startTransfer: curl_off_t = 0
        guard switchyard_curl_getinfo_off(h, CURLINFO_STARTTRANSFER_TIME_T, &startTransfer) == CURLE_OK else {
            return nil
        }
        return .microseconds(Int64(startTransfer))
    }

    /// The transport error for a failed transfer: the transfer's own reason (size cap, receiver)
    /// first, then libcurl's code.
    package static func error(for code: CURLcode, transfer: CurlTransfer, timeoutMs: Int) -> TransportError {
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
    package static func milliseconds(_ d: Duration) -> Int {
        Int(min(max(d.milliseconds, 0), 86_400_000))
    }
}
