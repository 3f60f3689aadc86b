import SwitchyardCore

// MARK: - Reading

/// Parsing a response byte by byte out of one reused buffer: `/next` runs this on every
/// invocation, so it avoids `Character` processing and per-byte array checks.
extension LoopbackHTTPConnection {

    /// Reads more bytes into `storage[end...]`; false at end of stream. The storage is reused
    /// across responses (compacted or grown only when full), so the warm path does not allocate.
    func fill() throws(RuntimeAPIError) -> Bool {
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
    func readResponse() throws(RuntimeAPIError) -> Response {
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
            case "transfer-encoding": chunked = header.value.lowercased().contains(text: "chunked")
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
