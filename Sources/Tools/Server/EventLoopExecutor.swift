import NIOCore

/// A task executor that runs jobs on one SwiftNIO event loop.
///
/// Why: a request's task started on the global executor crosses threads twice before it does any
/// work (event loop → cooperative pool, and back with the answer), and each crossing is a
/// scheduler wake-up: tens of microseconds on a quiet machine, milliseconds on a loaded one — the
/// front door's added latency was mostly these waits, not computation. Started with this
/// executor as its preference, the request runs on the loop that read it: routing, JSON and
/// pricing happen between socket reads, and so does the provider call (`NIOHTTPTransport` runs it
/// on a NIO channel of this loop, `CurlMultiTransport` runs libcurl's transfers on this loop without
/// blocking it); only blocking work (libmongoc, image
/// fetches, onnxruntime, or libcurl's easy interface with `SWITCHYARD_UPSTREAM_CLIENT=easy`)
/// leaves the loop, for the `BlockingPool`, and comes back.
///
/// Jobs enqueued from the loop itself are run later in the same loop iteration without a wake-up.
final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    let loop: EventLoop

    init(_ loop: EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
