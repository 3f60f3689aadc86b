import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the emulator's handlers see it: buffered, or (for the requests the server was
/// told to stream) a head whose body parts arrive on `bodyStream` as the client sends them.
public struct ServerRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    /// The whole body of a buffered request; empty for a streamed one.
    public var body: [UInt8]
    /// The body exceeded the server's limit; `body` is empty.
    public var bodyTooLarge: Bool
    /// A streamed request's body: its parts, then `.end` with the trailers, or `.aborted` when the
    /// connection dropped first. Nil for a buffered request.
    public var bodyStream: AsyncStream<RequestBodyPart>?
    /// The connection the request came on: to notice that the client went away, or to drop it.
    public var connection: ServerConnection

    public init(
        method: HTTPMethod, path: String, headers: HTTPHeaders = [:], body: [UInt8] = [], bodyTooLarge: Bool = false,
        bodyStream: AsyncStream<RequestBodyPart>? = nil, connection: ServerConnection = ServerConnection(channel: nil)
    ) {
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.bodyTooLarge = bodyTooLarge
        self.bodyStream = bodyStream
        self.connection = connection
    }
}

public enum RequestBodyPart: Sendable {
    case bytes([UInt8])
    /// The body ended; HTTP/1.1 trailers, if the client sent any.
    case end(trailers: HTTPHeaders?)
    /// The connection closed (or failed) before the body ended.
    case aborted
}

public enum ResponseBodyPart: Sendable {
    case bytes([UInt8])
    /// Sent as HTTP/1.1 trailers after the last chunk; must be the last part.
    case trailers([(String, String)])
}

public struct ServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// When set, `body` is ignored: the response is sent with chunked transfer encoding, each part
    /// written and flushed as it arrives, and ends when the stream finishes.
    public var bodyStream: AsyncStream<ResponseBodyPart>?

    public init(
        status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = [],
        bodyStream: AsyncStream<ResponseBodyPart>? = nil
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyStream = bodyStream
    }

    public static func json(_ status: HTTPResponseStatus, _ body: [UInt8], headers: [(String, String)] = [])
        -> ServerResponse
    {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}

/// One client connection: lets a handler notice that its client went away (a streaming invoker
/// that disconnects) or drop the connection itself (aborting a runtime's streamed upload).
public final class ServerConnection: Sendable {
    private let channel: (any Channel)?
    private let state = Mutex<(closed: Bool, handlers: [@Sendable () -> Void])>((false, []))

    public init(channel: (any Channel)?) { self.channel = channel }

    public var isClosed: Bool { state.withLock { $0.closed } }

    /// Runs `handler` once the connection is closed (at once if it already is).
    public func onClose(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.closed { return true }
            state.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }

    /// Closes the connection; whatever the client is sending or waiting for is cut off.
    public func close() { channel?.close(promise: nil) }

    func markClosed() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard !state.closed else { return [] }
            state.closed = true
            defer { state.handlers = [] }
            return state.handlers
        }
        for handler in handlers { handler() }
    }
}

/// A small HTTP/1.1 server on SwiftNIO whose handler is an async function. Requests on one
/// connection are answered in order; a handler may suspend for as long as it likes (the
/// Runtime API's `/next` long-poll does). Requests for which `streamsRequestBody` is true are
/// handed over at their head, with the body following on `bodyStream`; a response with a
/// `bodyStream` is sent chunk by chunk as it is produced.
public final class HTTPServer: Sendable {
    public typealias Handler = @Sendable (ServerRequest) async -> ServerResponse

    public let port: Int
    private let channel: any Channel
    private let counter: ConnectionCounter

    /// Connections accepted so far (tests use it to check that clients keep connections alive).
    public var connectionsAccepted: Int { counter.value.load(ordering: .relaxed) }

    private init(channel: any Channel, port: Int, counter: ConnectionCounter) {
        self.channel = channel
        self.port = port
        self.counter = counter
    }

    /// Binds `host:port` (port 0 picks a free one) and starts serving.
    public static func start(
        host: String, port: Int, group: any EventLoopGroup, maxBodyBytes: Int,
        streamsRequestBody: @escaping @Sendable (HTTPRequestHead) -> Bool = { _ in false },
        handler: @escaping Handler
    ) async throws -> HTTPServer {
        let counter = ConnectionCounter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                counter.value.add(1, ordering: .relaxed)
                return channel.pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true).flatMap {
                    channel.pipeline.addHandler(
                        HTTPServerHandler(
                            maxBodyBytes: maxBodyBytes, streamsRequestBody: streamsRequestBody, handler: handler))
                }
            }
            .bind(host: host, port: port)
            .get()
        return HTTPServer(channel: channel, port: channel.localAddress?.port ?? port, counter: counter)
    }

    public func close() async {
        try? await channel.close()
    }
}

private final class ConnectionCounter: Sendable {
    let value = Atomic<Int>(0)
}

private final class HTTPServerHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let maxBodyBytes: Int
    private let streamsRequestBody: @Sendable (HTTPRequestHead) -> Bool
    private let handler: HTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false
    /// The body stream of the request being received, when it is streamed.
    private var streaming: AsyncStream<RequestBodyPart>.Continuation?
    private var connection = ServerConnection(channel: nil)

    init(
        maxBodyBytes: Int, streamsRequestBody: @escaping @Sendable (HTTPRequestHead) -> Bool,
        handler: @escaping HTTPServer.Handler
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.streamsRequestBody = streamsRequestBody
        self.handler = handler
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection = ServerConnection(channel: context.channel)
    }

    func channelInactive(context: ChannelHandlerContext) {
        streaming?.yield(.aborted)
        streaming?.finish()
        streaming = nil
        connection.markClosed()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            body = []
            tooLarge = false
            if streamsRequestBody(head) {
                let (stream, continuation) = AsyncStream<RequestBodyPart>.makeStream()
                streaming = continuation
                self.head = nil
                dispatch(
                    ServerRequest(
                        method: head.method, path: head.uri, headers: head.headers, bodyStream: stream,
                        connection: connection),
                    keepAlive: head.isKeepAlive, context: context)
            } else {
                self.head = head
            }
        case .body(let buffer):
            if let streaming {
                streaming.yield(.bytes(Array(buffer.readableBytesView)))
                return
            }
            // Keep draining an oversized body so the connection stays usable for the 413.
            if tooLarge { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                tooLarge = true
                body = []
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end(let trailers):
            if let streaming {
                streaming.yield(.end(trailers: trailers))
                streaming.finish()
                self.streaming = nil
                return
            }
            guard let head else { return }
            let request = ServerRequest(
                method: head.method, path: head.uri, headers: head.headers, body: body, bodyTooLarge: tooLarge,
                connection: connection)
            self.head = nil
            body = []
            dispatch(request, keepAlive: head.isKeepAlive, context: context)
        }
    }

    private func dispatch(_ request: ServerRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        let handler = self.handler
        let promise = context.eventLoop.makePromise(of: ServerResponse.self)
        promise.completeWithTask { await handler(request) }
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        promise.futureResult.whenSuccess { response in
            let (handler, context) = bound.value
            handler.write(response, keepAlive: keepAlive, context: context)
        }
    }

    private func write(_ response: ServerResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        // A streamed request answered before its body ended cannot keep the connection.
        let keepAlive = keepAlive && streaming == nil
        var headers = HTTPHeaders(response.headers)
        if response.bodyStream == nil {
            headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        } else {
            headers.remove(name: "Content-Length")
            headers.replaceOrAdd(name: "Transfer-Encoding", value: "chunked")
        }
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        if let stream = response.bodyStream {
            context.writeAndFlush(wrapOutboundOut(.head(head)), promise: nil)
            relay(stream, keepAlive: keepAlive, context: context)
            return
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        finish(trailers: nil, keepAlive: keepAlive, context: context)
    }

    /// Writes each part as it arrives, waiting for the previous write to reach the socket (a slow
    /// client slows the producer's relay instead of growing a buffer here without bound).
    private func relay(_ stream: AsyncStream<ResponseBodyPart>, keepAlive: Bool, context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        Task {
            var trailers: [(String, String)]?
            for await part in stream {
                let bytes: [UInt8]
                switch part {
                case .trailers(let fields):
                    trailers = fields
                    continue
                case .bytes(let chunk):
                    guard !chunk.isEmpty else { continue }
                    bytes = chunk
                }
                let written: EventLoopFuture<Void> = eventLoop.flatSubmit {
                    let (handler, context) = bound.value
                    guard context.channel.isActive else {
                        return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                    }
                    var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                    buffer.writeBytes(bytes)
                    let promise = eventLoop.makePromise(of: Void.self)
                    context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: promise)
                    return promise.futureResult
                }
                do { try await written.get() } catch { return }
            }
            let ending = trailers.map { HTTPHeaders($0) }
            eventLoop.execute {
                let (handler, context) = bound.value
                guard context.channel.isActive else { return }
                handler.finish(trailers: ending, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func finish(trailers: HTTPHeaders?, keepAlive: Bool, context: ChannelHandlerContext) {
        let done = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(trailers)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
