import NIOCore

/// A task executor that runs jobs on one SwiftNIO event loop.
///
/// Why: a request's task started on the global executor crosses threads twice before it does any
/// work (event loop → cooperative pool, and back with the answer), and each crossing is a
/// scheduler wake-up: tens of microseconds on a quiet machine, milliseconds on a loaded one — the
/// front door's added latency was mostly these waits, not computation. Started with this
/// executor as its preference, the request runs on the loop that read it: routing, JSON and
/// pricing happen between socket reads, and only blocking work (libcurl's easy interface,
/// libmongoc, onnxruntime) leaves the loop, for the `BlockingPool`, and comes back. With
/// `SWITCHYARD_UPSTREAM_CLIENT=multi` the provider call stays on the loop too (`CurlMultiTransport`
/// runs libcurl's transfers here without blocking it).
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
