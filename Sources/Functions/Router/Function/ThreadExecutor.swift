#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A task executor with one dedicated thread, for calls that block (libmongoc).
///
/// Why: a blocking call run on the cooperative pool occupies one of its few threads (one per
/// core; two in a small Lambda function), so two blocked store queries would leave nothing to
/// run the deadline timer or the rest of the invocation. Run through
/// `withTaskExecutorPreference(executor)`, the blocking part runs here instead, and the router
/// can answer on time while a query to a store that is down waits out its timeout.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    // Guarded by `mutex`.
    private var jobs: [UnownedJob] = []

    init() {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        var thread = pthread_t()
        // The thread keeps the executor alive for the life of the process.
        let box = Unmanaged.passRetained(self).toOpaque()
        pthread_create(
            &thread, nil,
            { raw in
                Unmanaged<ThreadExecutor>.fromOpaque(raw!).takeRetainedValue().run()
            }, box)
        pthread_detach(thread)
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() -> Never {
        while true {
            pthread_mutex_lock(&mutex)
            while jobs.isEmpty { pthread_cond_wait(&condition, &mutex) }
            let batch = jobs
            jobs.removeAll(keepingCapacity: true)
            pthread_mutex_unlock(&mutex)
            for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }
}
