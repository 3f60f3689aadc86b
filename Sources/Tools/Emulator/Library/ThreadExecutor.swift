import Foundation

/// A task executor backed by one dedicated thread, for code that blocks: the SQS pollers call
/// the libcurl transport, which waits for a 20 s long poll on the calling thread. Run on Swift's
/// cooperative pool (as many threads as cores), two such waits would stall every task of the
/// emulator, the Runtime API and Invoke API included.
final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []

    init(name: String) {
        let thread = Thread { [unowned self] in self.run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }
}
