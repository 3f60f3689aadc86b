import SwitchyardContract

/// A labelling job as it is kept (MongoDB's `batch_jobs`, one document per job): who owns it,
/// what each item runs with, and how far it got. Its items live in its chunks (`BatchChunk`), so
/// the job document stays small whatever the job's size.
public struct BatchJob: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Accepted; no chunk has run yet.
        case queued
        case inProgress = "in_progress"
        /// Every chunk ran (items may still have failed one by one: see the counts).
        case completed
        /// The job stopped before its end (budget, a refusal of the whole job); `error` says why.
        case failed
    }

    public var id: String
    public var tenant: String
    public var tier: String
    public var status: Status
    public var createdAtMs: Int64
    public var completedAtMs: Int64?
    public var total: Int
    public var chunkCount: Int
    public var chunksDone: Int
    public var succeeded: Int
    public var failed: Int
    public var costPicoUSD: PicoUSD
    /// The model every item asks for (nil: `auto`).
    public var model: ModelID?
    public var hints: RoutingHints?
    public var parameters: GenerationParameters?
    public var error: StepError?

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case tenant, tier, status, createdAtMs, completedAtMs, total, chunkCount, chunksDone, succeeded, failed
        case costPicoUSD, model, hints, parameters, error
    }

    public init(
        id: String, tenant: String, tier: String, createdAtMs: Int64, total: Int, chunkCount: Int, model: ModelID?,
        hints: RoutingHints?, parameters: GenerationParameters?
    ) {
        self.id = id
        self.tenant = tenant
        self.tier = tier
        status = .queued
        self.createdAtMs = createdAtMs
        self.total = total
        self.chunkCount = chunkCount
        chunksDone = 0
        succeeded = 0
        failed = 0
        costPicoUSD = .zero
        self.model = model
        self.hints = hints
        self.parameters = parameters
    }

    /// The request id of chunk `index`: fixed per job and chunk, so a chunk run again after a
    /// restart maps to the same reservation and the same usage keys (billed once).
    public func requestID(ofChunk index: Int) -> String { "\(id)-c\(index)" }
}

/// Up to one inline pipeline batch of a job's items (decisions.md: ≤ 40 items, results ≤ 256 KiB),
/// with its results once it ran (MongoDB's `batch_chunks`, `_id` = `<job>/<index>`).
public struct BatchChunk: Codable, Sendable, Equatable {
    public var id: String
    public var job: String
    public var tenant: String
    public var index: Int
    public var items: [BatchItem]
    public var done: Bool
    /// One result line per item, in item order (see `BatchResultLine`), once done.
    public var results: [String]?
    public var succeeded: Int
    public var failed: Int
    public var costPicoUSD: PicoUSD

    enum CodingKeys: String, CodingKey {
        case id = "_id"
        case job, tenant, index, items, done, results, succeeded, failed, costPicoUSD
    }

    public init(job: String, tenant: String, index: Int, items: [BatchItem]) {
        id = "\(job)/\(index)"
        self.job = job
        self.tenant = tenant
        self.index = index
        self.items = items
        done = false
        succeeded = 0
        failed = 0
        costPicoUSD = .zero
    }
}
