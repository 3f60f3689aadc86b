import CCurl
import NIOCore
import NIOPosix
import SwitchyardHTTP
import Synchronization

/// `HTTPTransport` over libcurl's multi-socket interface, driven by SwiftNIO event loops: the
/// single-process server's upstream client.
///
/// Why: with `CurlTransport` each provider call had to leave the event loop for a blocking pool
/// thread and come back (two thread wake-ups per request, and a thread per call in flight). Here
/// a call made on one of `group`'s loops runs its transfer on that loop without blocking it:
/// the request is sent inline, curl's sockets are watched by `CurlSocketWatcher`, and the caller
/// resumes on the loop. A call made elsewhere is handed to one of the loops.
///
/// Same contract as `CurlTransport`, with the same options (`CurlRequestOptions`), errors, size
/// bound and deadline (libcurl's total timeout). Differences, by design:
/// - a streamed call whose task is cancelled stops its transfer at once (`TransportError.aborted`);
///   the easy transport stopped at the next chunk, when the receiver saw the cancellation;
/// - a pinned request (`HTTPRequest.pinnedAddress`: image fetches, checked DNS answers) runs on an
///   easy `CurlTransport`, on the calling thread, because a multi handle shares its DNS and
///   connection caches between transfers and the pin must not leak into them. The server runs the
///   calls that fetch images on its blocking pool.
public final class CurlMultiTransport: HTTPTransport {
    public let configuration: CurlTransport.Configuration
    private let loops: [CurlMultiLoop]
    private let byLoop: [ObjectIdentifier: CurlMultiLoop]
    private let next = Atomic<Int>(0)
    private let pinned: CurlTransport

    /// One multi handle per loop of `group`, and one watcher thread for all of them.
    public init(group: any EventLoopGroup, configuration: CurlTransport.Configuration = .init()) throws(TransportError)
    {
        _ = CurlTransport.globalInit
        self.configuration = configuration
        pinned = CurlTransport(configuration: configuration)
        let watcher = try CurlSocketWatcher()
        var loops: [CurlMultiLoop] = []
        for loop in group.makeIterator() {
            loops.append(
                try CurlMultiLoop(loop: loop, owner: loops.count, watcher: watcher, configuration: configuration))
        }
        guard !loops.isEmpty else { throw .io("the event loop group has no loops") }
        self.loops = loops
        byLoop = Dictionary(uniqueKeysWithValues: loops.map { (ObjectIdentifier($0.loop), $0) })
        try watcher.start(
            owners: loops.map { driver in
                { event in driver.loop.execute { driver.ready(event) } }
            })
    }

    public func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
        -> HTTPResponse
    {
        if request.pinnedAddress != nil { return try await pinned.send(request, deadline: deadline) }
        let timeoutMs = try CurlRequestOptions.timeoutMilliseconds(request, deadline: deadline)
        let transfer = CurlTransfer(limit: request.maxResponseBytes)
        let ttfb = try await run(request, timeoutMs: timeoutMs, transfer: transfer, cancellable: false)
        return HTTPResponse(
            status: transfer.status, headers: transfer.headers, body: transfer.body, timeToFirstByte: ttfb)
    }

    public func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead {
        if request.pinnedAddress != nil { return try await pinned.stream(request, deadline: deadline, into: receiver) }
        let timeoutMs = try CurlRequestOptions.timeoutMilliseconds(request, deadline: deadline)
        // The receiver is called on the loop, while this task waits for the transfer to end.
        let transfer = CurlTransfer(
            limit: request.maxResponseBytes,
            onHead: { receiver.receiveHead($0) },
            onBody: { receiver.receiveBody($0) }
        )
        _ = try await run(request, timeoutMs: timeoutMs, transfer: transfer, cancellable: true)
        return transfer.head
    }

    /// The loop this call runs on: the caller's, when it is one of ours; else the next in turn.
    private func driver() -> CurlMultiLoop {
        if let current = MultiThreadedEventLoopGroup.currentEventLoop, let driver = byLoop[ObjectIdentifier(current)] {
            return driver
        }
        let turn = next.add(1, ordering: .relaxed).oldValue
        return loops[(turn % loops.count + loops.count) % loops.count]
    }

    private func run(
        _ request: HTTPRequest, timeoutMs: Int, transfer: CurlTransfer, cancellable: Bool
    ) async throws(TransportError) -> Duration? {
        let driver = driver()
        let call = CurlMultiCall(request: request, transfer: transfer, timeoutMs: timeoutMs)
        let result: Result<Duration?, TransportError>
        if cancellable {
            result = await withTaskCancellationHandler {
                await call.run(on: driver)
            } onCancel: {
                call.cancelled.store(true, ordering: .relaxed)
                driver.loop.execute { driver.cancel(call) }
            }
        } else {
            result = await call.run(on: driver)
        }
        return try result.get()
    }
}
