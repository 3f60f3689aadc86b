import CCurl

/// The state of one transfer, reached from libcurl's C callbacks through their user-data pointer.
///
/// Collects the header block, then either buffers the body or hands each chunk to a stream
/// receiver. Also enforces the response size cap, counting bytes in both modes.
package final class CurlTransfer {
    package private(set) var status = 0
    package private(set) var headers = HTTPHeaders()
    package private(set) var headDelivered = false
    package var body: [UInt8] = []
    private var received = 0
    package let limit: Int
    package private(set) var overLimit = false
    package private(set) var abortedByReceiver = false
    private let onHead: ((HTTPResponseHead) -> Void)?
    private let onBody: ((UnsafeRawBufferPointer) -> Bool)?

    package init(
        limit: Int, onHead: ((HTTPResponseHead) -> Void)? = nil, onBody: ((UnsafeRawBufferPointer) -> Bool)? = nil
    ) {
        self.limit = limit
        self.onHead = onHead
        self.onBody = onBody
    }

    package var head: HTTPResponseHead { HTTPResponseHead(status: status, headers: headers) }

    /// One header line as libcurl delivers it, CRLF included. Parsed on bytes: this runs for
    /// every header of every response, so it must not go through `Character`s.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        let bytes = line.bindMemory(to: UInt8.self)
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        if end == 0 {
            // The blank line ends a header block; interim (1xx) blocks are skipped.
            if status >= 200 { deliverHead() }
            return
        }
        if end > 5, bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"), bytes[2] == UInt8(ascii: "T"),
            bytes[3] == UInt8(ascii: "P"), bytes[4] == UInt8(ascii: "/")
        {
            status = Self.parseStatus(UnsafeBufferPointer(rebasing: bytes[0..<end]))
            headers = HTTPHeaders()
            headDelivered = false
            return
        }
        var colon = 0
        while colon < end, bytes[colon] != UInt8(ascii: ":") { colon += 1 }
        guard colon < end else { return }
        var valueStart = colon + 1
        while valueStart < end, bytes[valueStart] == 0x20 || bytes[valueStart] == 0x09 { valueStart += 1 }
        var valueEnd = end
        while valueEnd > valueStart, bytes[valueEnd - 1] == 0x20 || bytes[valueEnd - 1] == 0x09 { valueEnd -= 1 }
        headers.add(
            String(decoding: UnsafeBufferPointer(rebasing: bytes[0..<colon]), as: UTF8.self),
            String(decoding: UnsafeBufferPointer(rebasing: bytes[valueStart..<valueEnd]), as: UTF8.self))
    }

    /// One body chunk; returns false to make libcurl stop with a write error.
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        received += chunk.count
        if received > limit {
            overLimit = true
            return false
        }
        if !headDelivered { deliverHead() }
        if let onBody {
            if !onBody(chunk) {
                abortedByReceiver = true
                return false
            }
        } else {
            body.append(contentsOf: chunk)
        }
        return true
    }

    package func deliverHead() {
        guard !headDelivered else { return }
        headDelivered = true
        onHead?(head)
    }

    /// The code in "HTTP/1.1 200 OK" or "HTTP/2 200": the three digits after the first space.
    static func parseStatus(_ line: UnsafeBufferPointer<UInt8>) -> Int {
        var i = 0
        while i < line.count, line[i] != 0x20 { i += 1 }
        while i < line.count, line[i] == 0x20 { i += 1 }
        var code = 0
        var digits = 0
        while i < line.count, digits < 3, (0x30...0x39).contains(line[i]) {
            code = code * 10 + Int(line[i] - 0x30)
            i += 1
            digits += 1
        }
        return digits == 3 ? code : 0
    }
}

/// C entry points for libcurl; they must not capture context, so they go through user data.
package enum CurlCallbacks {
    /// libcurl's write and header callbacks: (data, size, count, user data) -> bytes taken.
    package typealias Data = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

    package static let write: Data = { pointer, size, count, user in
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
        let total = size * count
        return transfer.receiveBody(UnsafeRawBufferPointer(start: pointer, count: total)) ? total : 0
    }

    package static let header: Data = { pointer, size, count, user in
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
        let total = size * count
        transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: total))
        return total
    }
}
