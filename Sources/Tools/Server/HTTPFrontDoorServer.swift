import Glibc
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardFrontDoor
import Synchronization

/// Bounds of one connection: what a client may send and how long it may take.
struct ConnectionLimits: Sendable {
    /// Largest request body; a larger one gets 413 and the connection is closed.
    var maxBodyBytes = 8 << 20
    /// Largest request head (request line and headers); larger gets 431. The HTTP parser itself
    /// stops at 80 KiB whatever this says.
    var maxHeaderBytes = 16 << 10
    /// A request must arrive whole (head and body) within this of its first byte or of the
    /// connection becoming idle; slow-loris clients are cut off with 408.
    var requestTimeout: TimeAmount = .seconds(30)
    /// How long a connection's worker task waits for the connection's next request before it
    /// ends (the next request starts a new one). A kept-alive closed-loop client sends its next
    /// request within microseconds; an idle connection then holds no task and its slabs (~25 KiB).
    var workerLinger: TimeAmount = .seconds(1)
    /// Connections open at once; past it a new connection gets a 503 and is closed. Sized so the
    /// worst case (every connection running a request) stays near 50 MB of RSS: about 40 KiB each
    /// with its worker, over a ~30 MiB server.
    var maxConnections = 512
}

/// The single-process server's HTTP/1.1 listener on SwiftNIO: bounded request parsing, keep-alive
/// with pipelining, whole and streamed (SSE, chunked) answers, and a cancelled stream when the
/// client goes away.
final class HTTPFrontDoorServer {
    let channel: Channel
    let connections: ConnectionCounter
    var port: Int { channel.localAddress?.port ?? 0 }

    private init(channel: Channel, connections: ConnectionCounter) {
        self.channel = channel
        self.connections = connections
    }

    static func start(
        host: String, port: Int, group: EventLoopGroup, limits: ConnectionLimits,
        handle: @escaping @Sendable (FrontDoorRequest) async -> FrontDoorResponse
    ) async throws -> HTTPFrontDoorServer {
        let connections = ConnectionCounter(limit: limits.maxConnections)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 1024)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(ChannelOptions.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                guard connections.open() else { return refuseConnection(channel) }
                channel.closeFuture.whenComplete { _ in connections.closed() }
                return channel.pipeline
                    .configureHTTPServerPipeline(withPipeliningAssistance: true, withErrorHandling: false)
                    .flatMap { channel.pipeline.addHandler(FrontDoorChannelHandler(limits: limits, handle: handle)) }
            }
            .bind(host: host, port: port)
            .get()
        return HTTPFrontDoorServer(channel: channel, connections: connections)
    }

    /// The 503 a connection past `maxConnections` gets, written before anything is read; the
    /// bytes are built once.
    private static let overCapacity: [UInt8] = {
        let response = FrontDoorResponse.error(
            .unavailable("too many open connections"), requestID: nil)
        guard case .bytes(let body) = response.body else { return [] }
        var head = "HTTP/1.1 \(response.status) Service Unavailable\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        head += "connection: close\r\ncontent-length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }()

    /// Answers 503 and closes, without an HTTP pipeline (nothing of the request is parsed).
    private static func refuseConnection(_ channel: Channel) -> EventLoopFuture<Void> {
        let buffer = channel.allocator.buffer(bytes: overCapacity)
        channel.writeAndFlush(buffer).whenComplete { _ in channel.close(promise: nil) }
        return channel.eventLoop.makeSucceededVoidFuture()
    }
}

/// Connections open now against the cap, and how many the cap refused; shared by every event loop.
final class ConnectionCounter: Sendable {
    let limit: Int
    private let count = Atomic<Int>(0)
    private let refusedCount = Atomic<Int>(0)

    init(limit: Int) { self.limit = limit }

    var current: Int { count.load(ordering: .relaxed) }
    var refused: Int { refusedCount.load(ordering: .relaxed) }

    /// Counts a new connection, or refuses it (counted) when `limit` are open. Refusals are
    /// logged at the 1st, 2nd, 4th, 8th… so a flood of them writes a few lines, not one each.
    func open() -> Bool {
        if count.add(1, ordering: .relaxed).newValue <= limit { return true }
        count.subtract(1, ordering: .relaxed)
        let refused = refusedCount.add(1, ordering: .relaxed).newValue
        if refused & (refused - 1) == 0 {
            Logger(label: "switchyard.server").warning(
                "connection refused: \(limit) open (the cap); \(refused) refused since start")
        }
        return false
    }

    func closed() { count.subtract(1, ordering: .relaxed) }
}

final class FrontDoorChannelHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let limits: ConnectionLimits
    private let handle: @Sendable (FrontDoorRequest) async -> FrontDoorResponse
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    /// The request being received was refused (413/431); its remaining parts are ignored.
    private var refused = false
    private var timer: Scheduled<Void>?
    /// When the current clock runs out: the next request must have arrived whole by then. nil
    /// while a request runs. The timer is scheduled once and moved lazily (it fires, finds the
    /// deadline later, and sleeps again) instead of cancelled and scheduled again around every
    /// request: two timer-heap operations and an allocation per request on a kept-alive connection.
    private var deadline: NIODeadline?
    private var busy = false
    private var cancelStream: (@Sendable () -> Void)?
    /// The connection's requests, for its worker task (started with the first request).
    private var mailbox: RequestMailbox?

    init(limits: ConnectionLimits, handle: @escaping @Sendable (FrontDoorRequest) async -> FrontDoorResponse) {
        self.limits = limits
        self.handle = handle
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        mailbox?.close()
        cancelStream?()
        cancelStream = nil
        context.fireChannelInactive()
    }

    /// Starts the clock for the next request (slow-loris bound, idle keep-alive bound).
    private func arm(_ context: ChannelHandlerContext) {
        let deadline = NIODeadline.now() + limits.requestTimeout
        self.deadline = deadline
        if timer == nil { schedule(at: deadline, context) }
    }

    /// Stops the clock while a request runs (its answer restarts it).
    private func disarm() { deadline = nil }

    private func schedule(at deadline: NIODeadline, _ context: ChannelHandlerContext) {
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        timer = context.eventLoop.scheduleTask(deadline: deadline) {
            let (handler, context) = bound.value
            handler.timer = nil
            // Disarmed (a request is running, or the connection was refused): the next `arm` schedules again.
            guard !handler.busy, let deadline = handler.deadline else { return }
            if deadline > NIODeadline.now() {
                handler.schedule(at: deadline, context)
                return
            }
            // Idle between requests: just close. Mid-request: tell the client why.
            if handler.head != nil {
                handler.refuse(.requestTimeout, context: context)
            } else {
                context.close(promise: nil)
            }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = []
            refused = false
            var headBytes = head.uri.utf8.count + 16
            for (name, value) in head.headers { headBytes += name.utf8.count + value.utf8.count + 4 }
            if headBytes > limits.maxHeaderBytes {
                refuse(.headersTooLarge(limit: limits.maxHeaderBytes), context: context)
                return
            }
            if let length = head.headers.first(name: "content-length").flatMap(Int.init) {
                if length > limits.maxBodyBytes {
                    refuse(.payloadTooLarge(limit: limits.maxBodyBytes), context: context)
                } else if length > 0 {
                    // One allocation for a usual body instead of regrowing; capped, so a client that
                    // announces megabytes and sends nothing does not make the server hold them.
                    body.reserveCapacity(min(length, 64 << 10))
                }
            }
        case .body(let buffer):
            guard !refused else { return }
            if body.count + buffer.readableBytes > limits.maxBodyBytes {
                refuse(.payloadTooLarge(limit: limits.maxBodyBytes), context: context)
                return
            }
            // Straight from the buffer, without an intermediate array per part.
            buffer.withUnsafeReadableBytes { body.append(contentsOf: $0) }
        case .end:
            guard !refused, let head else { return }
            disarm()
            busy = true
            let request = FrontDoorRequest(
                method: head.method.rawValue, path: head.uri,
                headers: head.headers.map { (name: $0.name, value: $0.value) }, body: body)
            self.head = nil
            body = []
            dispatch(request, keepAlive: head.isKeepAlive, context: context)
        }
    }

    /// Answers with `error` and closes the connection: what is left of the request is not read.
    private func refuse(_ error: FrontDoorError, context: ChannelHandlerContext) {
        refused = true
        disarm()
        write(.error(error, requestID: nil), keepAlive: false, context: context)
    }

    /// Runs the request in the connection's worker task, started with its first request.
    ///
    /// Why one task per connection, not per request: NIO's pipelining handler passes on a
    /// connection's next request only once the previous answer has ended, so its requests run one
    /// after another anyway, and a task's allocator keeps the slabs its async frames needed until
    /// the task ends. A task per request malloc'd them again for every request (about 20
    /// allocations and 90 KB: the router's, llm-caller's and front door's frames) and created
    /// and destroyed a task; a connection's worker mallocs them once. The worker ends when the
    /// connection closes or has had no request for `workerLinger` (the next request starts a new
    /// one), so an idle kept-alive connection holds no task: memory follows active connections.
    private func dispatch(_ request: FrontDoorRequest, keepAlive: Bool, context: ChannelHandlerContext) {
        if let mailbox, !mailbox.retired {
            mailbox.put(RequestMailbox.Work(request: request, keepAlive: keepAlive))
            return
        }
        let mailbox = RequestMailbox(loop: context.eventLoop, linger: limits.workerLinger)
        self.mailbox = mailbox
        mailbox.put(RequestMailbox.Work(request: request, keepAlive: keepAlive))
        let handle = self.handle
        let loop = context.eventLoop
        let bound = NIOLoopBound((self, context, mailbox), eventLoop: loop)
        Task(executorPreference: EventLoopExecutor(loop)) {
            while let work = await RequestMailbox.next(bound, on: loop) {
                let response = await handle(work.request)
                // Normally already on the loop (the task's preferred executor); hop only if not.
                if loop.inEventLoop {
                    let (handler, context, _) = bound.value
                    handler.write(response, keepAlive: work.keepAlive, context: context)
                } else {
                    loop.execute {
                        let (handler, context, _) = bound.value
                        handler.write(response, keepAlive: work.keepAlive, context: context)
                    }
                }
            }
        }
    }

    // Not inlined into the request's task closure: its temporaries (headers, head, buffer) would
    // make that closure's async frame, allocated per request, several KB larger.
    @inline(never)
    private func write(_ response: FrontDoorResponse, keepAlive: Bool, context: ChannelHandlerContext) {
        guard context.channel.isActive else {
            if case .events(let stream) = response.body { stream.cancel() }
            return
        }
        var headers = HTTPHeaders(response.headers)
        headers.replaceOrAdd(name: "server", value: "switchyard")
        switch response.body {
        case .bytes(let bytes):
            headers.replaceOrAdd(name: "content-length", value: String(bytes.count))
            if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            context.write(
                wrapOutboundOut(
                    .head(
                        HTTPResponseHead(
                            version: .http1_1, status: .init(statusCode: response.status), headers: headers))),
                promise: nil)
            if !bytes.isEmpty {
                var buffer = context.channel.allocator.buffer(capacity: bytes.count)
                buffer.writeBytes(bytes)
                context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            }
            finish(keepAlive: keepAlive, context: context)
        case .events(let stream):
            headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
            if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
            cancelStream = stream.cancel
            context.writeAndFlush(
                wrapOutboundOut(
                    .head(
                        HTTPResponseHead(
                            version: .http1_1, status: .init(statusCode: response.status), headers: headers))),
                promise: nil)
            relay(stream, keepAlive: keepAlive, context: context)
        }
    }

    /// Writes each event as it comes, waiting for the previous one to reach the socket (a slow
    /// reader slows the relay instead of growing a buffer here).
    private func relay(_ stream: EventStream, keepAlive: Bool, context: ChannelHandlerContext) {
        let eventLoop = context.eventLoop
        let bound = NIOLoopBound((self, context), eventLoop: eventLoop)
        Task {
            for await event in stream.events {
                let written: EventLoopFuture<Void> = eventLoop.flatSubmit {
                    let (handler, context) = bound.value
                    guard context.channel.isActive else {
                        return eventLoop.makeFailedFuture(ChannelError.ioOnClosedChannel)
                    }
                    var buffer = context.channel.allocator.buffer(capacity: event.count)
                    buffer.writeBytes(event)
                    let promise = eventLoop.makePromise(of: Void.self)
                    context.writeAndFlush(handler.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: promise)
                    return promise.futureResult
                }
                do { try await written.get() } catch {
                    stream.cancel()
                    return
                }
            }
            eventLoop.execute {
                let (handler, context) = bound.value
                handler.cancelStream = nil
                guard context.channel.isActive else { return }
                handler.finish(keepAlive: keepAlive, context: context)
            }
        }
    }

    private func finish(keepAlive: Bool, context: ChannelHandlerContext) {
        busy = false
        let channel = context.channel
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            arm(context)
        } else {
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // The parser failed: a malformed or oversized head. Answer once, then close.
        if let parserError = error as? HTTPParserError, !busy {
            switch parserError {
            case .headerOverflow: refuse(.headersTooLarge(limit: limits.maxHeaderBytes), context: context)
            default: refuse(.invalidRequest(param: nil, message: "malformed HTTP request"), context: context)
            }
            return
        }
        context.close(promise: nil)
    }
}

/// A connection's requests on their way to its worker task; used on the connection's event loop
/// only. Holds more than one request only if a client pipelines past NIO's pipelining handler,
/// which it cannot; a queue all the same, so no request is ever dropped.
final class RequestMailbox {
    struct Work: Sendable {
        var request: FrontDoorRequest
        var keepAlive: Bool
    }

    private var pending: [Work] = []
    private var waiting: UnsafeContinuation<Work?, Never>?
    private var closed = false
    /// The worker was told to end (idle past `linger`); the connection's next request needs a new one.
    private(set) var retired = false
    private let loop: EventLoop
    private let linger: TimeAmount
    /// When the waiting worker ends if no request comes; nil while it runs one. Like the
    /// connection's request timer, one scheduled task moved lazily, not one per request.
    private var lingerDeadline: NIODeadline?
    private var lingerTimer: Scheduled<Void>?

    init(loop: EventLoop, linger: TimeAmount) {
        self.loop = loop
        self.linger = linger
    }

    /// Hands `work` to the waiting worker, or keeps it for its next `next`.
    func put(_ work: Work) {
        if let waiting {
            self.waiting = nil
            lingerDeadline = nil
            waiting.resume(returning: work)
        } else {
            pending.append(work)
        }
    }

    /// The connection closed: the worker gets nil once the requests already put are taken.
    func close() {
        closed = true
        lingerTimer?.cancel()
        lingerTimer = nil
        if let waiting {
            self.waiting = nil
            waiting.resume(returning: nil)
        }
    }

    private func take(_ continuation: UnsafeContinuation<Work?, Never>) {
        if !pending.isEmpty {
            continuation.resume(returning: pending.removeFirst())
        } else if closed {
            continuation.resume(returning: nil)
        } else {
            waiting = continuation
            let deadline = NIODeadline.now() + linger
            lingerDeadline = deadline
            if lingerTimer == nil { scheduleLinger(at: deadline) }
        }
    }

    private func scheduleLinger(at deadline: NIODeadline) {
        let bound = NIOLoopBound(self, eventLoop: loop)
        lingerTimer = loop.scheduleTask(deadline: deadline) {
            let mailbox = bound.value
            mailbox.lingerTimer = nil
            // The worker is running a request: its next wait schedules again.
            guard let waiting = mailbox.waiting, let deadline = mailbox.lingerDeadline else { return }
            if deadline > NIODeadline.now() {
                mailbox.scheduleLinger(at: deadline)
                return
            }
            mailbox.retired = true
            mailbox.waiting = nil
            waiting.resume(returning: nil)
            HeapTrim.shared.soon(on: mailbox.loop)
        }
    }

    /// The next request of the connection, or nil when it has closed; waits on the loop for one.
    static func next(
        _ bound: NIOLoopBound<(FrontDoorChannelHandler, ChannelHandlerContext, RequestMailbox)>, on loop: EventLoop
    ) async -> Work? {
        await withUnsafeContinuation { continuation in
            if loop.inEventLoop {
                bound.value.2.take(continuation)
            } else {
                loop.execute { bound.value.2.take(continuation) }
            }
        }
    }
}

/// Gives the pages of freed memory back to the system a second after workers ended, at most once
/// a second. A finished worker frees its slabs (~25 KiB), but glibc keeps freed memory inside its
/// heaps mapped (it trims only a heap's top), so without this an idle connection's RSS stayed
/// where its worker's was. A closed-loop client keeps its worker, and so never causes a trim.
final class HeapTrim: Sendable {
    static let shared = HeapTrim()
    /// glibc's `malloc_trim` (not in the Glibc module: malloc.h is not part of it); nil on a libc
    /// without it, where nothing is trimmed.
    private static let mallocTrim: (@convention(c) (Int) -> Int32)? = dlsym(nil, "malloc_trim").map {
        unsafeBitCast($0, to: (@convention(c) (Int) -> Int32).self)
    }
    private let scheduled = Atomic<Bool>(false)

    func soon(on loop: EventLoop) {
        guard scheduled.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged else { return }
        loop.scheduleTask(in: .seconds(1)) {
            // Off the event loop: a trim walks every arena's free chunks.
            Task.detached {
                self.scheduled.store(false, ordering: .relaxed)
                _ = Self.mallocTrim?(0)
            }
        }
    }
}
