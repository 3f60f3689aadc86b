import SwitchyardCore

/// A minimal HTTP/1.1 client for exactly one peer: the Runtime API on the local host.
///
/// Why not libcurl: linking it loads ~30 shared libraries (TLS, IDN, LDAP, …) at start-up, which
/// costs more cold-start time than the whole loop; the Runtime API needs none of that. This
/// client keeps one keep-alive connection, sends with `writev` (no copy of the payload), blocks
/// on reads without a timeout (`/next` may wait for hours while the environment is frozen), and
/// understands `Content-Length` and chunked bodies.
/// Not thread-safe: one connection belongs to one task at a time (the loop, or the watchdog
/// with its own connection), which is why it is `@unchecked Sendable`.
final class LoopbackHTTPConnection: @unchecked Sendable {
    struct Response {
        var status: Int
        /// Lower-cased names.
        var headers: [(name: String, value: String)]
        var body: [UInt8]

        /// The value of the header named `lowercasedName` (names are stored lower-cased, so this
        /// is a plain comparison: `/next` looks up six headers per invocation).
        func header(_ lowercasedName: String) -> String? {
            for header in headers where header.name == lowercasedName { return header.value }
            return nil
        }
    }

    let host: String
    let port: UInt16
    var fd: Int32 = -1
    /// Read buffer: `storage[start..<end]` holds received bytes not yet consumed.
    var storage = [UInt8](repeating: 0, count: 64 * 1024)
    var start = 0
    var end = 0

    /// `" HTTP/1.1\r\nHost: …\r\nUser-Agent: …\r\n"`: the part of every request head after the
    /// path, built once.
    private let headAfterPath: [UInt8]

    init(host: String, port: UInt16) {
        self.host = host
        self.port = port
        headAfterPath = Array(" HTTP/1.1\r\nHost: \(host):\(port)\r\nUser-Agent: switchyard-runtime/1.0\r\n".utf8)
    }

    deinit { disconnect() }

    func disconnect() {
        if fd >= 0 { close(fd) }
        fd = -1
        start = 0
        end = 0
    }

    private func connectIfNeeded() throws(RuntimeAPIError) {
        guard fd < 0 else { return }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            throw .connectFailed("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(result) }
        var lastError = "no address"
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            let s = socket(
                info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue),
                info.pointee.ai_protocol)
            if s >= 0 {
                if connect(s, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 {
                    var one: Int32 = 1
                    // Requests are written in one writev; Nagle would only add latency.
                    setsockopt(s, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                    fd = s
                    return
                }
                lastError = String(cString: strerror(errno))
                close(s)
            }
            candidate = info.pointee.ai_next
        }
        throw .connectFailed("\(host):\(port): \(lastError)")
    }

    /// Sends one request and reads its response. A keep-alive connection the peer closed while
    /// idle is reopened once; any other failure is thrown.
    func request(method: String, path: String, headers: [(String, String)] = [], body: [UInt8] = [])
        throws(RuntimeAPIError) -> Response
    {
        let head = requestHead(method: method, path: path, headers: headers, bodyCount: body.count)
        let reused = fd >= 0
        do {
            try connectIfNeeded()
            try send(head: head, body: body)
            return try readResponse()
        } catch .connectionClosed where reused {
            disconnect()
            try connectIfNeeded()
            try send(head: head, body: body)
            return try readResponse()
        } catch {
            disconnect()
            throw error
        }
    }

    /// The request head as bytes, appended in place (no string interpolation: it runs twice per
    /// invocation). `bodyCount` nil: a chunked body follows.
    private func requestHead(method: String, path: String, headers: [(String, String)], bodyCount: Int?) -> [UInt8] {
        var head: [UInt8] = []
        head.reserveCapacity(headAfterPath.count + path.utf8.count + 128)
        head += method.utf8
        head.append(0x20)
        head += path.utf8
        head += headAfterPath
        for (name, value) in headers {
            head += name.utf8
            head += Self.colonSpace
            head += value.utf8
            head += Self.crlf
        }
        if let bodyCount {
            if method != "GET" {
                head += Self.contentLength
                head += String(bodyCount).utf8
                head += Self.crlf
            }
        } else {
            head += Self.chunkedEncoding
        }
        head += Self.crlf
        return head
    }

    private static let colonSpace = Array(": ".utf8)
    private static let contentLength = Array("Content-Length: ".utf8)
    private static let chunkedEncoding = Array("Transfer-Encoding: chunked\r\n".utf8)

    // MARK: - Chunked requests (streamed responses)

    /// Sends the head of a request whose body follows in chunks (`sendChunk`, `finishChunked`).
    func startChunked(method: String, path: String, headers: [(String, String)]) throws(RuntimeAPIError) {
        if fd >= 0, peerClosed() { disconnect() }
        let head = requestHead(method: method, path: path, headers: headers, bodyCount: nil)
        do {
            try connectIfNeeded()
            try send(head: head, body: [])
        } catch {
            disconnect()
            throw error
        }
    }

    /// Sends one chunk. Throws `.streamClosed` when the server has closed the connection or
    /// answered early (it refused the rest: the invocation was answered, or its invoker left).
    func sendChunk(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        guard !bytes.isEmpty else { return }
        guard fd >= 0, !peerClosed() else {
            disconnect()
            throw .streamClosed
        }
        let size = Array((String(bytes.count, radix: 16) + "\r\n").utf8)
        let failure: RuntimeAPIError? = size.withUnsafeBytes { sizeBytes in
            bytes.withUnsafeBytes { body in
                Self.crlf.withUnsafeBytes { end in writeAll([sizeBytes, body, end]) }
            }
        }
        if let failure {
            disconnect()
            throw failure == .connectionClosed ? .streamClosed : failure
        }
    }

    /// Ends the chunked body with `trailers`, reads the response and closes the connection, as
    /// Lambda asks of a streamed response.
    func finishChunked(trailers: [(String, String)]) throws(RuntimeAPIError) -> Response {
        guard fd >= 0, !peerClosed() else {
            disconnect()
            throw .streamClosed
        }
        var last = "0\r\n"
        for (name, value) in trailers { last += "\(name): \(value)\r\n" }
        last += "\r\n"
        defer { disconnect() }
        do {
            try send(head: Array(last.utf8), body: [])
            return try readResponse()
        } catch .connectionClosed {
            throw .streamClosed
        }
    }

    private static let crlf: [UInt8] = [0x0D, 0x0A]

    /// Whether the server closed the connection, or sent something while we are still sending
    /// (an early answer, which ends the request). Does not block or consume anything.
    private func peerClosed() -> Bool {
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        if n < 0 { return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR }
        return true
    }

    /// Formats a request and parses a canned `/next` response from memory, without any I/O, so
    /// the first real invocation does not pay for running this code for the first time (page
    /// faults, lazily instantiated metadata). Called once at init, before the first `/next`.
    func warmUp(cannedResponse: [UInt8]) -> Response? {
        _ = requestHead(
            method: "POST", path: RuntimeAPI.responsePath("warm-up"), headers: [("Content-Type", "application/json")],
            bodyCount: 2)
        guard fd < 0, start == end, cannedResponse.count <= storage.count else { return nil }
        storage.replaceSubrange(0..<cannedResponse.count, with: cannedResponse)
        end = cannedResponse.count
        defer {
            start = 0
            end = 0
        }
        return try? readResponse()
    }

    // MARK: - Writing

    private func send(head: [UInt8], body: [UInt8]) throws(RuntimeAPIError) {
        // The stdlib's pointer accessors rethrow untyped errors, so the failure travels as a value.
        let failure: RuntimeAPIError? = head.withUnsafeBytes { headBytes in
            body.withUnsafeBytes { bodyBytes in
                writeAll([headBytes, bodyBytes])
            }
        }
        if let failure { throw failure }
    }

    private func writeAll(_ parts: [UnsafeRawBufferPointer]) -> RuntimeAPIError? {
        var iov = parts.filter { $0.count > 0 }.map {
            iovec(iov_base: UnsafeMutableRawPointer(mutating: $0.baseAddress), iov_len: $0.count)
        }
        var index = 0
        while index < iov.count {
            let written = iov.withUnsafeMutableBufferPointer {
                writev(fd, $0.baseAddress! + index, Int32($0.count - index))
            }
            if written < 0 {
                if errno == EINTR { continue }
                if errno == EPIPE || errno == ECONNRESET { return .connectionClosed }
                return .io("write: \(String(cString: strerror(errno)))")
            }
            var remaining = written
            while index < iov.count, remaining >= iov[index].iov_len {
                remaining -= iov[index].iov_len
                index += 1
            }
            if index < iov.count, remaining > 0 {
                iov[index].iov_base += remaining
                iov[index].iov_len -= remaining
            }
        }
        return nil
    }
}
