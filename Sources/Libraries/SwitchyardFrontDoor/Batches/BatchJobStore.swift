import SwitchyardUsage
import Synchronization

/// Where jobs and their chunks are kept. MongoDB in the server (`MongoBatchJobStore`); in memory
/// for tests. Every call is bounded by its deadline.
public protocol BatchJobStore: Sendable {
    /// Inserts or replaces the job document.
    func save(_ job: BatchJob, deadline: ContinuousClock.Instant) async throws(UsageError)
    /// Inserts or replaces a chunk.
    func save(_ chunk: BatchChunk, deadline: ContinuousClock.Instant) async throws(UsageError)
    /// The job `id` of `tenant`; nil when there is none (or it is another tenant's).
    func job(_ id: String, tenant: String, deadline: ContinuousClock.Instant) async throws(UsageError) -> BatchJob?
    /// The chunks of a job, in index order.
    func chunks(ofJob id: String, deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchChunk]
    /// Jobs that had not ended (queued or in progress): what a restarted server resumes.
    func unfinished(deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchJob]
}

/// The store in memory (tests).
public final class MemoryBatchJobStore: BatchJobStore {
    private let state = Mutex<(jobs: [String: BatchJob], chunks: [String: BatchChunk])>(([:], [:]))

    public init() {}

    public func save(_ job: BatchJob, deadline: ContinuousClock.Instant) async throws(UsageError) {
        state.withLock { $0.jobs[job.id] = job }
    }

    public func save(_ chunk: BatchChunk, deadline: ContinuousClock.Instant) async throws(UsageError) {
        state.withLock { $0.chunks[chunk.id] = chunk }
    }

    public func job(_ id: String, tenant: String, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> BatchJob?
    {
        state.withLock { $0.jobs[id] }.flatMap { $0.tenant == tenant ? $0 : nil }
    }

    public func chunks(ofJob id: String, deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchChunk] {
        state.withLock { $0.chunks.values.filter { $0.job == id } }.sorted { $0.index < $1.index }
    }

    public func unfinished(deadline: ContinuousClock.Instant) async throws(UsageError) -> [BatchJob] {
        state.withLock { $0.jobs.values.filter { $0.status == .queued || $0.status == .inProgress } }
            .sorted { $0.createdAtMs < $1.createdAtMs }
    }
}
