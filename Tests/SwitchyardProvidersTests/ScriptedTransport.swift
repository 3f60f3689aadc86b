import SwitchyardHTTP
import Synchronization

/// A protocol-level stand-in for a provider endpoint: answers each request with the next
/// scripted reply (a complete response, a streamed body, or a transport error) and records
/// what was sent. The code under test runs unchanged on top of it.
final class ScriptedTransport: HTTPTransport {
    enum Reply: Sendable {
        case response(HTTPResponse)
        case stream(status: Int, headers: HTTPHeaders, chunks: [[UInt8]], thenError: TransportError?)
        case failure(TransportError)
    }

    private let state: Mutex<(replies: [Reply], sent: [HTTPRequest])>

    init(_ replies: [Reply]) { state = Mutex((replies, [])) }

    var sent: [HTTPRequest] { state.withLock { $0.sent } }

    private func next(_ request: HTTPRequest) -> Reply {
        state.withLock { s in
            s.sent.append(request)
            return s.replies.isEmpty ? .failure(.connectFailed("script exhausted")) : s.replies.removeFirst()
        }
    }

    func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError) -> HTTPResponse {
        switch next(request) {
        case .response(let r): return r
        case .failure(let e): throw e
        case .stream(let status, let headers, let chunks, let error):
            if let error { throw error }
            return HTTPResponse(status: status, headers: headers, body: chunks.flatMap { $0 })
        }
    }

    func stream(_ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver)
        async throws(TransportError) -> HTTPResponseHead
    {
        switch next(request) {
        case .response(let r):
            receiver.receiveHead(r.head)
            _ = r.body.withUnsafeBytes { receiver.receiveBody($0) }
            return r.head
        case .failure(let e): throw e
        case .stream(let status, let headers, let chunks, let error):
            let head = HTTPResponseHead(status: status, headers: headers)
            receiver.receiveHead(head)
            for chunk in chunks {
                if !chunk.withUnsafeBytes({ receiver.receiveBody($0) }) { throw .aborted }
            }
            if let error { throw error }
            return head
        }
    }
}
