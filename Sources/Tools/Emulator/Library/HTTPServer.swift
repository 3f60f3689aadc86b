import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A request as the emulator's handlers see it: fully buffered.
public struct ServerRequest: Sendable {
    public var method: HTTPMethod
    public var path: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// The body exceeded the server's limit; `body` is empty.
    public var bodyTooLarge: Bool
}

public struct ServerResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: HTTPResponseStatus, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public static func json(_ status: HTTPResponseStatus, _ body: [UInt8], headers: [(String, String)] = [])
        -> ServerResponse
    {
        ServerResponse(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
    }
}

/// A small HTTP/1.1 server on SwiftNIO whose handler is an async function. Requests on one
/// connection are answered in order; a handler may suspend for as long as it likes (the
/// Runtime API's `/next` long-poll does).
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
        host: String, port: Int, group: any EventLoopGroup, maxBodyBytes: Int, handler: @escaping Handler
    ) async throws -> HTTPServer {
        let counter = ConnectionCounter()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                counter.value.add(1, ordering: .relaxed)
                return channel.pipeline.configureHTTPServerPipeline(withPipeliningAssistance: true).flatMap {
                    channel.pipeline.addHandler(HTTPServerHandler(maxBodyBytes: maxBodyBytes, handler: handler))
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
    private let handler: HTTPServer.Handler
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(maxBodyBytes: Int, handler: @escaping HTTPServer.Handler) {
        self.maxBodyBytes = maxBodyBytes
        self.handler = handler
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            tooLarge = false
        case .body(let buffer):
            // Keep draining an oversized body so the connection stays usable for the 413.
            if tooLarge { return }
            if body.count + buffer.readableBytes > maxBodyBytes {
                tooLarge = true
                body = []
            } else {
                body.append(contentsOf: buffer.readableBytesView)
            }
        case .end:
            guard let head else { return }
            let request = ServerRequest(
                method: head.method, path: head.uri, headers: head.headers, body: body, bodyTooLarge: tooLarge)
            let keepAlive = head.isKeepAlive
            self.head = nil
            body = []
            let handler = self.handler
            let promise = context.eventLoop.makePromise(of: ServerResponse.self)
            promise.completeWithTask { await handler(request) }
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            promise.futureResult.whenSuccess { response in
                let (handler, context) = bound.value
                handler.write(response, keepAlive: keepAlive, context: context)
            }
        }
    }

    private func write(_ response: ServerResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "Content-Length", value: String(response.body.count))
        if !keepAlive { headers.replaceOrAdd(name: "Connection", value: "close") }
        let head = HTTPResponseHead(version: .http1_1, status: response.status, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: response.body.count)
            buffer.writeBytes(response.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let done = context.writeAndFlushPromise()
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: done)
        if !keepAlive {
            let channel = context.channel
            done.futureResult.whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

extension ChannelHandlerContext {
    fileprivate func writeAndFlushPromise() -> EventLoopPromise<Void> { eventLoop.makePromise() }
}
