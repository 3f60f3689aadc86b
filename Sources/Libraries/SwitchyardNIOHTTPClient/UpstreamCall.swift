import NIOCore
import NIOHTTP1
import SwitchyardHTTP
import Synchronization

/// One call of `NIOHTTPTransport`: its request, what has arrived, and the caller's continuation.
/// Made by the caller, then used only on the loop until it is resumed; the caller reads the
/// response after that.
final class UpstreamCall: @unchecked Sendable {
    let request: HTTPRequest
    let timeoutMs: Int
    let deadline: NIODeadline
    /// Set for a streamed call: the receiver's callbacks.
    let onHead: ((SwitchyardHTTP.HTTPResponseHead) -> Void)?
    let onBody: ((UnsafeRawBufferPointer) -> Bool)?
    /// Set when the caller's task is cancelled, possibly before the loop has started the call.
    let cancelled = Atomic<Bool>(false)

    // The response, filled on the loop.
    private(set) var status = 0
    private(set) var headers = SwitchyardHTTP.HTTPHeaders()
    private(set) var body: [UInt8] = []
    private(set) var timeToFirstByte: Duration?
    private(set) var headArrived = false
    private var received = 0
    private var sentAt = ContinuousClock.now

    // Loop-confined bookkeeping.
    /// The connection carrying the call (or being opened for it).
    var connection: UpstreamConnection?
    /// Already moved once to a fresh connection after its kept-alive one failed.
    var retried = false
    private(set) var finished = false
    private var continuation: UnsafeContinuation<Result<Void, TransportError>, Never>?

    init(
        request: HTTPRequest, timeoutMs: Int, onHead: ((SwitchyardHTTP.HTTPResponseHead) -> Void)?,
        onBody: ((UnsafeRawBufferPointer) -> Bool)?
    ) {
        self.request = request
        self.timeoutMs = timeoutMs
        deadline = .now() + .milliseconds(Int64(timeoutMs))
        self.onHead = onHead
        self.onBody = onBody
    }

    /// Starts the call on `pool`'s loop (inline when already there) and waits for its end.
    func run(on pool: UpstreamLoop) async -> Result<Void, TransportError> {
        await withUnsafeContinuation { continuation in
            self.continuation = continuation
            if pool.loop.inEventLoop {
                pool.start(self)
            } else {
                pool.loop.execute { pool.start(self) }
            }
        }
    }

    /// Resumes the caller, once.
    func finish(_ result: Result<Void, TransportError>) {
        guard !finished else { return }
        finished = true
        connection = nil
        continuation?.resume(returning: result)
        continuation = nil
    }

    func markSent() { sentAt = .now }

    /// The response head; a streamed call hands it to its receiver.
    func receive(_ head: NIOHTTP1.HTTPResponseHead) {
        timeToFirstByte = sentAt.duration(to: .now)
        status = Int(head.status.code)
        var fields: [(name: String, value: String)] = []
        fields.reserveCapacity(head.headers.count)
        for (name, value) in head.headers { fields.append((name: name, value: value)) }
        headers = SwitchyardHTTP.HTTPHeaders(fields)
        headArrived = true
        onHead?(SwitchyardHTTP.HTTPResponseHead(status: status, headers: headers))
    }

    /// One body chunk, counted against the cap; nil when taken, else why the call must stop.
    func receive(_ chunk: ByteBuffer) -> TransportError? {
        received += chunk.readableBytes
        if received > request.maxResponseBytes { return .responseTooLarge(limit: request.maxResponseBytes) }
        if let onBody {
            let taken = chunk.withUnsafeReadableBytes { onBody($0) }
            return taken ? nil : .aborted
        }
        body.append(contentsOf: chunk.readableBytesView)
        return nil
    }
}
