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
    private var fd: Int32 = -1
    /// Read buffer: `storage[start..<end]` holds received bytes not yet consumed.
    private var storage = [UInt8](repeating: 0, count: 64 * 1024)
    private var start = 0
    private var end = 0

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

    // MARK: - Reading

    /// Reads more bytes into `storage[end...]`; false at end of stream. The storage is reused
    /// across responses (compacted or grown only when full), so the warm path does not allocate.
    private func fill() throws(RuntimeAPIError) -> Bool {
        if start == end {
            start = 0
            end = 0
        }
        if end == storage.count {
            if start > 0 {
                storage.withUnsafeMutableBytes { raw in
                    _ = memmove(raw.baseAddress!, raw.baseAddress! + start, end - start)
                }
                end -= start
                start = 0
            } else {
                storage.append(contentsOf: repeatElement(0, count: storage.count))
            }
        }
        while true {
            let n = storage.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + end, $0.count - end, 0) }
            if n > 0 {
                end += n
                return true
            }
            if n == 0 { return false }
            if errno == EINTR { continue }
            if errno == ECONNRESET { throw .connectionClosed }
            throw .io("read: \(String(cString: strerror(errno)))")
        }
    }

    /// Index just past the next CRLF at or after `start`, filling as needed.
    private func lineEnd() throws(RuntimeAPIError) -> Int? {
        var scanned = 0  // bytes after `start` already known to hold no CRLF
        while true {
            let (from, limit) = (start + scanned, end)
            // Scanned through a buffer pointer: indexing the stored array byte by byte would
            // pay an exclusivity and bounds check per byte.
            let found: Int? = storage.withUnsafeBufferPointer { buffer in
                var i = from
                while i + 1 < limit {
                    if buffer[i] == 0x0D, buffer[i + 1] == 0x0A { return i + 2 }
                    i += 1
                }
                return nil
            }
            if let found { return found }
            scanned = max(0, end - start - 1)
            if end - start > 64 * 1024 { throw .malformedResponse("header line too long") }
            guard try fill() else { return nil }
        }
    }

    /// The next line (without its CRLF) as a range of `storage`, valid until the next read.
    private func nextLine() throws(RuntimeAPIError) -> Range<Int> {
        guard let lineEnd = try lineEnd() else { throw .connectionClosed }
        defer { start = lineEnd }
        return start..<(lineEnd - 2)
    }

    private func text(_ range: Range<Int>) -> String {
        storage.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    private func readExactly(_ count: Int, into body: inout [UInt8]) throws(RuntimeAPIError) {
        var remaining = count
        while remaining > 0 {
            if start == end, try !fill() { throw .connectionClosed }
            let take = min(remaining, end - start)
            body.append(contentsOf: storage[start..<(start + take)])
            start += take
            remaining -= take
        }
    }

    /// Parses a response byte by byte (no `Character` processing: `/next` runs this on every
    /// invocation).
    private func readResponse() throws(RuntimeAPIError) -> Response {
        // "HTTP/1.1 200 OK"
        let statusLine = try nextLine()
        let statusLineFields: (status: Int, http10: Bool)? = storage.withUnsafeBufferPointer { b in
            let line = UnsafeBufferPointer(rebasing: b[statusLine])
            guard line.count >= 12, line.starts(with: Self.httpPrefix), line[8] == 0x20 else { return nil }
            var status = 0
            for i in 9..<12 {
                guard (0x30...0x39).contains(line[i]) else { return nil }
                status = status * 10 + Int(line[i] - 0x30)
            }
            guard line.count == 12 || line[12] == 0x20 else { return nil }
            return (status, line[7] == UInt8(ascii: "0"))
        }
        guard let (status, http10) = statusLineFields else {
            throw .malformedResponse("status line \"\(text(statusLine).prefix(80))\"")
        }
        var headers: [(name: String, value: String)] = []
        var contentLength: Int?
        var chunked = false
        var closeAfter = http10
        while true {
            let line = try nextLine()
            if line.isEmpty { break }
            let header: (name: String, value: String)? = storage.withUnsafeBufferPointer { b in
                let bytes = UnsafeBufferPointer(rebasing: b[line])
                guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")), colon > 0 else { return nil }
                let name = String(unsafeUninitializedCapacity: colon) { out in
                    for i in 0..<colon { out[i] = (0x41...0x5A).contains(bytes[i]) ? bytes[i] | 0x20 : bytes[i] }
                    return colon
                }
                var from = colon + 1
                var to = bytes.count
                while from < to, bytes[from] == 0x20 || bytes[from] == 0x09 { from += 1 }
                while to > from, bytes[to - 1] == 0x20 || bytes[to - 1] == 0x09 { to -= 1 }
                return (name, String(decoding: UnsafeBufferPointer(rebasing: bytes[from..<to]), as: UTF8.self))
            }
            guard let header else { throw .malformedResponse("header \"\(text(line).prefix(80))\"") }
            headers.append(header)
            switch header.name {
            case "content-length":
                guard let n = Int(header.value), n >= 0 else {
                    throw .malformedResponse("content-length \"\(header.value.prefix(40))\"")
                }
                contentLength = n
            case "transfer-encoding": chunked = header.value.lowercased().contains("chunked")
            case "connection": closeAfter = header.value.lowercased() == "close"
            default: break
            }
        }
        var body: [UInt8] = []
        if chunked {
            while true {
                let sizeLine = try nextLine()
                let size: Int? = storage.withUnsafeBufferPointer { b in
                    var size = 0
                    var digits = 0
                    for byte in UnsafeBufferPointer(rebasing: b[sizeLine]) {
                        if byte == UInt8(ascii: ";") || byte == 0x20 { break }  // chunk extensions
                        guard let digit = Self.hexValue(byte), digits < 15 else { return nil }
                        size = size << 4 | digit
                        digits += 1
                    }
                    return digits > 0 ? size : nil
                }
                guard let size else { throw .malformedResponse("chunk size \"\(text(sizeLine).prefix(40))\"") }
                if size == 0 {
                    while try !nextLine().isEmpty {}  // trailers
                    break
                }
                try readExactly(size, into: &body)
                _ = try nextLine()
            }
        } else if let contentLength {
            body.reserveCapacity(contentLength)
            try readExactly(contentLength, into: &body)
        } else {
            // No framing: the body runs to the end of the connection.
            repeat {
                body.append(contentsOf: storage[start..<end])
                start = end
            } while try fill()
            closeAfter = true
        }
        if closeAfter { disconnect() }
        return Response(status: status, headers: headers, body: body)
    }

    private static let httpPrefix = Array("HTTP/1.".utf8)

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: Int(byte - 0x30)
        case 0x41...0x46: Int(byte - 0x41 + 10)
        case 0x61...0x66: Int(byte - 0x61 + 10)
        default: nil
        }
    }
}
