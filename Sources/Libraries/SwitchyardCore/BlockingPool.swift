/// A task executor with a fixed set of threads, for work that blocks its thread: libcurl's
/// `curl_easy_perform` in the llm-caller and libmongoc's calls in the usage store (the server's
/// upstream pool, the router's spend and health queries on a thread each).
///
/// Why: the cooperative pool has one thread per core (two here). Run there, two upstream calls
/// in flight — or one slow stream and one ledger write — would leave no thread for any other
/// request: the server would serve two requests at a time however many clients it has. Run
/// through `withTaskExecutorPreference(pool)`, the blocking parts occupy these threads instead,
/// and the number of threads bounds how many upstream calls run at once.
public final class BlockingPool: TaskExecutor, @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    // Guarded by `mutex`.
    private var jobs: [UnownedJob] = []
    private var head = 0

    public init(threads: Int) {
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&condition, nil)
        for _ in 0..<threads {
            var thread = pthread_t()
            // Each thread keeps the pool alive for the life of the process.
            let box = Unmanaged.passRetained(self).toOpaque()
            pthread_create(
                &thread, nil,
                { raw in Unmanaged<BlockingPool>.fromOpaque(raw!).takeRetainedValue().run() }, box)
            pthread_detach(thread)
        }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        pthread_mutex_lock(&mutex)
        jobs.append(job)
        pthread_cond_signal(&condition)
        pthread_mutex_unlock(&mutex)
    }

    private func run() -> Never {
        while true {
            pthread_mutex_lock(&mutex)
            while head == jobs.count { pthread_cond_wait(&condition, &mutex) }
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
