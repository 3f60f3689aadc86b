/// A task executor with a fixed set of threads, for work that blocks its thread: libcurl's
/// `curl_easy_perform` in the llm-caller and libmongoc's calls in the usage store (the server's
/// upstream pool, the router's spend and health queries on a thread each).
///
/// Why: the cooperative pool has one thread per core (two here). Run there, two upstream calls
/// in flight — or one slow stream and one ledger write — would leave no thread for any other
/// request: the server would serve two requests at a time however many clients it has. Run
/// through `withTaskExecutorPreference(pool)`, the blocking parts occupy these threads instead,
/// and the number of threads bounds how many upstream calls run at once.
///
/// Threads start on demand, up to `threads`: one is started when a job is queued and no started
/// thread is idle. A pool made at init (the router's, the ingress's) therefore starts nothing until
/// its first job: starting them at init put threads on the other CPU while init was writing pages
/// for the first time, and each such write then cost a TLB shoot-down there (docs/packaging.md,
/// tenth pass), besides the thread starts themselves, which a function that never calls upstream
/// (the ingress answering `GET /v1/models`) never needs.
public final class BlockingPool: TaskExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private let limit: Int
    // Guarded by `mutex`.
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var started = 0
    private var idle = 0

    /// - Parameter threads: the most threads the pool starts (at least one).
    public init(threads: Int) {
        limit = max(1, threads)
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
    }

    /// The threads started so far (tests).
    public var startedThreads: Int {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return started
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        // More jobs waiting than idle threads to take them: start one more, up to the limit.
        let start = jobs.count - head > idle && started < limit
        if start { started += 1 }
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
        if start { startThread() }
    }

    private func startThread() {
        var thread = pthread_t()
        // Each thread keeps the pool alive for the life of the process.
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread, nil,
            { raw in Unmanaged<BlockingPool>.fromOpaque(raw!).takeRetainedValue().run() }, box)
        guard created == 0 else {
            // No thread: the job stays queued for a thread already started, or, with none, the
            // process cannot make progress at all; say so rather than hang silently.
            Unmanaged<BlockingPool>.fromOpaque(box).release()
            pthread_mutex_lock(&mutex)
            started -= 1
            let none = started == 0
            pthread_mutex_unlock(&mutex)
            if none { fatalError("BlockingPool: pthread_create failed (\(created)) and no thread is running") }
            return
        }
        pthread_detach(thread)
    }

    private func run() -> Never {
        while true {
            pthread_mutex_lock(&mutex)
            while head == jobs.count {
                idle += 1
                pthread_cond_wait(&condition, &mutex)
                idle -= 1
            }
            let job = jobs[head]
            head += 1
            if head == jobs.count {
                jobs.removeAll(keepingCapacity: true)
                head = 0
            }
            pthread_mutex_unlock(&mutex)
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
