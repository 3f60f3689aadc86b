import NIOCore
import NIOHTTP1
import SwitchyardHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// One kept-alive HTTP/1.1 connection to a provider, and the handler at the end of its pipeline.
/// Carries one call at a time (no pipelining); between calls it waits in its loop's idle pool.
/// Loop-confined: every method runs on the channel's loop.
final class UpstreamConnection: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    let key: String
    private unowned let pool: UpstreamLoop
    /// nil until connected.
    private(set) var channel: Channel?
    /// The call whose response this connection is reading; nil while idle.
    var call: UpstreamCall?
    /// Has carried a call before the current one: a failure may be the server closing a kept-alive
    /// connection, not a fault of this request.
    private(set) var reused = false
    private var carriedBefore = false
    /// The current call's request head could not be written: nothing of it reached the socket.
    private(set) var writeFailed = false
    /// When it was parked idle; for closing stale ones.
    var idleSince = NIODeadline.now()
    private(set) var closed = false
    private var keepAlive = true
    private var error: TransportError?

    init(key: String, pool: UpstreamLoop) {
        self.key = key
        self.pool = pool
    }

    func connected(_ channel: Channel) { self.channel = channel }

    /// Writes `call`'s request and flushes it.
    func send(_ call: UpstreamCall, target: UpstreamTarget, userAgent: String) {
        guard let channel else { return }
        reused = carriedBefore
        carriedBefore = true
        self.call = call
        writeFailed = false
        keepAlive = true
        let request = call.request
        var headers = NIOHTTP1.HTTPHeaders()
        headers.reserveCapacity(request.headers.count + 3)
        if !request.headers.contains("host") { headers.add(name: "Host", value: target.hostHeader) }
        if !request.headers.contains("user-agent") { headers.add(name: "User-Agent", value: userAgent) }
        for field in request.headers.fields
        where !SwitchyardHTTP.HTTPHeaders.equalsIgnoringCase(field.name, "content-length") {
            headers.add(name: field.name, value: field.value)
        }
        let method: NIOHTTP1.HTTPMethod
        switch request.method {
        case .get: method = .GET
        case .head: method = .HEAD
        case .post: method = .POST
        case .put: method = .PUT
        case .delete: method = .DELETE
        }
        let sendsBody = request.method == .post || request.method == .put || request.method == .delete
        if sendsBody { headers.add(name: "Content-Length", value: String(request.body.count)) }
        let head = HTTPRequestHead(version: .http1_1, method: method, uri: target.uri, headers: headers)
        call.markSent()
        if reused {
            // The one place a retry is decided: a write that failed sent nothing of this request.
            let written = channel.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenFailure { [self] _ in writeFailed = true }
            channel.write(HTTPClientRequestPart.head(head), promise: written)
        } else {
            channel.write(HTTPClientRequestPart.head(head), promise: nil)
        }
        if sendsBody, !request.body.isEmpty {
            channel.write(
                HTTPClientRequestPart.body(.byteBuffer(channel.allocator.buffer(bytes: request.body))), promise: nil)
        }
        // May fail, close the channel and call `pool.closed` before it returns.
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
    }

    func close() {
        guard !closed else { return }
        channel?.close(promise: nil)
    }

    // MARK: - ChannelInboundHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let call else {
            // Bytes nobody asked for: the connection's framing can no longer be trusted.
            context.close(promise: nil)
            return
        }
        switch unwrapInboundIn(data) {
        case .head(let head):
            keepAlive = head.isKeepAlive
            call.receive(head)
        case .body(let chunk):
            if let failure = call.receive(chunk) {
                self.call = nil
                pool.finish(call, .failure(failure))
                context.close(promise: nil)
            }
        case .end:
            self.call = nil
            pool.completed(call, on: self, reusable: keepAlive && !closed)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if self.error == nil { self.error = Self.transportError(error) }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        let call = self.call
        self.call = nil
        pool.closed(self, during: call, error: error ?? .connectionClosed("the upstream closed the connection"))
        context.fireChannelInactive()
    }

    /// What a failure on an open connection means to the caller.
    static func transportError(_ error: Error) -> TransportError {
        if let parser = error as? HTTPParserError {
            if parser == .invalidEOFState { return .connectionClosed("the body ended early") }
            return .io("invalid HTTP response: \(parser)")
        }
        if let io = error as? IOError {
            if io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
                return .connectionClosed("connection reset by the upstream")
            }
            return .io("\(io)")
        }
        return .io("\(error)")
    }
}
