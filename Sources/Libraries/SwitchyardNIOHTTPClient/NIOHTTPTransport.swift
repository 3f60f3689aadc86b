import NIOCore
import NIOPosix
import SwitchyardHTTP
import Synchronization

/// `HTTPTransport` for `http://` providers on SwiftNIO's own channels: the single-process server's
/// upstream client for in-cluster OpenAI-compatible servers (vLLM, llama.cpp, TGI), where plain HTTP
/// is the deployment.
///
/// Why: `CurlMultiTransport` runs the call on the request's event loop, but libcurl's sockets are
/// watched by a thread of their own (`CurlSocketWatcher`), which wakes the loop once per request.
/// Here the upstream connection is a NIO channel on the caller's loop, so the answer arrives
/// through the loop's own selector, with no other thread. Written on NIOHTTP1 rather than with
/// AsyncHTTPClient, which would bring Foundation, BoringSSL (swift-nio-ssl) and seven more packages
/// into the server's build for the `https://` half that libcurl already serves
/// (docs/frontdoor.md, "http providers on NIO's selector").
///
/// `https://` URLs and pinned requests (`HTTPRequest.pinnedAddress`) go to `fallback` (the server's
/// `CurlMultiTransport`: OpenSSL, as the Lambdas use).
///
/// Same contract as the curl transports: the deadline bounds the whole call, the response-size cap,
/// the same `TransportError` cases, `TCP_NODELAY`, one request at a time per connection (no
/// pipelining), and a streamed call whose task is cancelled stops its transfer at once. Kept-alive
/// connections are pooled per loop and host:port, at most `maxIdlePerLoop` of them, each closed
/// after `idleTimeout` unused. A request is retried on a fresh connection only when its kept-alive
/// connection failed before any byte of it was sent; one that may have reached the server is never
/// sent again (a POST may have been received and billed).
public final class NIOHTTPTransport: HTTPTransport {
    public struct Configuration: Sendable {
        /// Idle kept-alive connections per event loop, all hosts together; past it one is closed.
        public var maxIdlePerLoop: Int
        /// An idle connection unused this long is closed: below the 5-s keep-alive timeout of
        /// uvicorn (vLLM) and llama.cpp's server, so we close first and rarely reuse a connection
        /// the server is closing.
        public var idleTimeout: Duration
        /// Upper bound on connection setup, within the request deadline.
        public var connectTimeout: Duration
        public var userAgent: String

        public init(
            maxIdlePerLoop: Int = 64, idleTimeout: Duration = .seconds(4), connectTimeout: Duration = .seconds(5),
            userAgent: String = "switchyard/1.0"
        ) {
            self.maxIdlePerLoop = maxIdlePerLoop
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.userAgent = userAgent
        }
    }

    public let configuration: Configuration
    private let fallback: any HTTPTransport
    private let loops: [UpstreamLoop]
    private let byLoop: [ObjectIdentifier: UpstreamLoop]
    private let next = Atomic<Int>(0)

    /// One connection pool per loop of `group`. `fallback` serves `https://` and pinned requests.
    public init(
        group: any EventLoopGroup, configuration: Configuration = .init(), fallback: any HTTPTransport
    ) throws(TransportError) {
        let day = Duration.seconds(86_400)
        guard configuration.maxIdlePerLoop >= 0, configuration.idleTimeout > .zero, configuration.idleTimeout <= day,
            configuration.connectTimeout > .zero, configuration.connectTimeout <= day
        else { throw .io("invalid NIOHTTPTransport configuration: \(configuration)") }
        self.configuration = configuration
        self.fallback = fallback
        let loops = group.makeIterator().map { UpstreamLoop(loop: $0, configuration: configuration) }
        guard !loops.isEmpty else { throw .io("the event loop group has no loops") }
        self.loops = loops
        byLoop = Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.loop), $0) })
    }

    public func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
        -> HTTPResponse
    {
        let timeoutMs = try CurlRequestOptions.timeoutMilliseconds(request, deadline: deadline)
        if usesFallback(request) { return try await fallback.send(request, deadline: deadline) }
        let call = UpstreamCall(request: request, timeoutMs: timeoutMs, onHead: nil, onBody: nil)
        try await run(call, cancellable: false).get()
        return HTTPResponse(
            status: call.status, headers: call.headers, body: call.body, timeToFirstByte: call.timeToFirstByte)
    }

    public func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead {
        let timeoutMs = try CurlRequestOptions.timeoutMilliseconds(request, deadline: deadline)
        if usesFallback(request) { return try await fallback.stream(request, deadline: deadline, into: receiver) }
        // The receiver is called on the loop, while this task waits for the call to end.
        let call = UpstreamCall(
            request: request, timeoutMs: timeoutMs, onHead: { receiver.receiveHead($0) },
            onBody: { receiver.receiveBody($0) })
        try await run(call, cancellable: true).get()
        return HTTPResponseHead(status: call.status, headers: call.headers)
    }

    private func usesFallback(_ request: HTTPRequest) -> Bool {
        request.pinnedAddress != nil || !request.url.hasPrefix("http://")
    }

    /// The loop this call runs on: the caller's, when it is one of ours; else the next in turn.
    private func pool() -> UpstreamLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let pool = byLoop[ObjectIdentifier(current)] {
            return pool
        }
        let turn = next.add(1, ordering: .relaxed).oldValue
        return loops[(turn % loops.count + loops.count) % loops.count]
    }

    private func run(_ call: UpstreamCall, cancellable: Bool) async -> Result<Void, TransportError> {
        let pool = pool()
        guard cancellable else { return await call.run(on: pool) }
        return await withTaskCancellationHandler {
            await call.run(on: pool)
        } onCancel: {
            call.cancelled.store(true, ordering: .relaxed)
            pool.loop.execute { pool.cancel(call) }
        }
    }
}
