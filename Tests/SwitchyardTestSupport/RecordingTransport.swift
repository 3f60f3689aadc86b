import SwitchyardHTTP
import Synchronization

/// An HTTP endpoint played by a test: it answers each request, in order, and keeps every request for
/// the test to inspect. Tests of every library that talks HTTP (AWS clients, image fetch, vision
/// endpoints, the front door's Step Functions backend) share this one stand-in.
public final class RecordingTransport: HTTPTransport {
    private let state = Mutex<[HTTPRequest]>([])
    private let answer: @Sendable (HTTPRequest) -> Result<HTTPResponse, TransportError>

    /// Answers each request with the closure's reply.
    public init(_ answer: @escaping @Sendable (HTTPRequest) -> Result<HTTPResponse, TransportError>) {
        self.answer = answer
    }

    /// Answers the requests with `answers`, one each, in order; a request past the last one fails to
    /// connect.
    public convenience init(answers: [HTTPResponse]) {
        let queue = Mutex(answers[...])
        self.init { _ in
            queue.withLock { $0.popFirst() }.map { .success($0) } ?? .failure(.connectFailed("no answer"))
        }
    }

    /// Every request sent so far, oldest first.
    public var sent: [HTTPRequest] { state.withLock { $0 } }

    public func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
        -> HTTPResponse
    {
        state.withLock { $0.append(request) }
        return try answer(request).get()
    }

    public func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead {
        throw .io("streaming is not played by this endpoint")
    }
}
