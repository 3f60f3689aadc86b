import CCurl

/// The state of one transfer, reached from libcurl's C callbacks through their user-data pointer.
///
/// Collects the header block, then either buffers the body or hands each chunk to a stream
/// receiver. Also enforces the response size cap, counting bytes in both modes.
final class CurlTransfer {
    private(set) var status = 0
    private(set) var headers = HTTPHeaders()
    private(set) var headDelivered = false
    var body: [UInt8] = []
    private var received = 0
    let limit: Int
    private(set) var overLimit = false
    private(set) var abortedByReceiver = false
    private let onHead: ((HTTPResponseHead) -> Void)?
    private let onBody: ((UnsafeRawBufferPointer) -> Bool)?

    init(limit: Int, onHead: ((HTTPResponseHead) -> Void)? = nil, onBody: ((UnsafeRawBufferPointer) -> Bool)? = nil) {
        self.limit = limit
        self.onHead = onHead
        self.onBody = onBody
    }

    var head: HTTPResponseHead { HTTPResponseHead(status: status, headers: headers) }

    /// One header line as libcurl delivers it, CRLF included.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        if end == 0 {
            // The blank line ends a header block; interim (1xx) blocks are skipped.
            if status >= 200 { deliverHead() }
            return
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: line[0..<end]), as: UTF8.self)
        if text.hasPrefix("HTTP/") {
            status = Self.parseStatus(text)
            headers = HTTPHeaders()
            headDelivered = false
            return
        }
        guard let colon = text.firstIndex(of: ":") else { return }
        let name = String(text[..<colon])
        let value = text[text.index(after: colon)...].drop(while: { $0 == " " || $0 == "\t" })
        headers.add(name, String(value.reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed()))
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

    func deliverHead() {
        guard !headDelivered else { return }
        headDelivered = true
        onHead?(head)
    }

    static func parseStatus(_ line: String) -> Int {
        // "HTTP/1.1 200 OK" or "HTTP/2 200"
        let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: true)
        guard parts.count >= 2, let code = Int(parts[1]) else { return 0 }
        return code
    }
}

/// C entry points for libcurl; they must not capture context, so they go through user data.
enum CurlCallbacks {
    static let write: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        pointer, size, count, user in
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
        let total = size * count
        return transfer.receiveBody(UnsafeRawBufferPointer(start: pointer, count: total)) ? total : 0
    }

    static let header: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
        pointer, size, count, user in
        let transfer = Unmanaged<CurlTransfer>.fromOpaque(user!).takeUnretainedValue()
        let total = size * count
        transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: pointer, count: total))
        return total
    }
}
