import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

/// What the job API needs: where jobs are kept and who runs them.
public struct FrontDoorBatches: Sendable {
    public var store: any BatchJobStore
    public var scheduler: BatchScheduler
    /// Most items in one job. Default 10 000.
    public var maxItems: Int
    /// Most items in one chunk: the policy's largest inline batch (decisions.md: 40).
    public var chunkItems: Int
    /// Most result bytes one chunk may produce (decisions.md: 256 KiB, the state limit): chunks get
    /// fewer items when each item may answer with many tokens.
    public var chunkResultBytes: Int
    /// How long a store call may take before it is retried.
    public var storeTimeout: Duration

    public init(
        store: any BatchJobStore, scheduler: BatchScheduler = BatchScheduler(maxRunning: 2), maxItems: Int = 10_000,
        chunkItems: Int = 40, chunkResultBytes: Int = 262_144, storeTimeout: Duration = .seconds(5)
    ) {
        self.store = store
        self.scheduler = scheduler
        self.maxItems = maxItems
        self.chunkItems = chunkItems
        self.chunkResultBytes = chunkResultBytes
        self.storeTimeout = storeTimeout
    }

    /// Items per chunk for items that may each answer with `maxTokens` tokens (≈ 4 bytes a token,
    /// plus 1 KiB of line around it), so a chunk's results stay within `chunkResultBytes`.
    public func itemsPerChunk(maxTokens: Int?) -> Int {
        let perItem = (maxTokens ?? 512) * 4 + 1024
        return max(1, min(chunkItems, chunkResultBytes / perItem))
    }
}

extension FrontDoorService {
    // MARK: - Endpoints

    /// `POST /v1/batches`: validates the items, routes the first chunk (a refusal of the whole job
    /// — unknown model, contradictory hints, an exhausted budget — comes back at once), stores the
    /// job and its chunks, and answers 202 with the job; the chunks run in the background.
    func createBatch(_ http: FrontDoorRequest, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let batches = try jobAPI()
        let create = try BatchCreateRequest(body: http.body, maxItems: batches.maxItems)
        try limiter.admit(key: key.id, limits: key.limits, tokens: 1)
        limiter.settle(key: key.id, estimated: 1, used: 0)
        let random = try APIKey.randomBytes(12)
        let size = batches.itemsPerChunk(maxTokens: create.parameters.maxTokens)
        var job = BatchJob(
            id: "batch_" + APIKey.hex(random), tenant: key.tenant, tier: key.tier, createdAtMs: Self.now(),
            total: create.items.count, chunkCount: (create.items.count + size - 1) / size, model: create.model,
            hints: create.hints.isEmpty ? nil : create.hints,
            parameters: create.parameters == GenerationParameters() ? nil : create.parameters)
        let chunks = stride(from: 0, to: create.items.count, by: size).enumerated().map { index, start in
            BatchChunk(
                job: job.id, tenant: job.tenant, index: index,
                items: Array(create.items[start..<min(start + size, create.items.count)]))
        }
        let first = await backend.route(
            Self.chunkRequest(job, chunks[0], received: job.createdAtMs), deadline: .now + configuration.requestTimeout)
        if first.route == .rejected {
            await enqueue(first.usage, context: first.context)
            throw Self.refusal(first.rejection, model: create.model?.rawValue ?? "auto")
        }
        job.tier = first.tier
        do throws(UsageError) {
            for chunk in chunks { try await batches.store.save(chunk, deadline: .now + batches.storeTimeout) }
            try await batches.store.save(job, deadline: .now + batches.storeTimeout)
        } catch {
            logger.error("batch job not stored", metadata: ["switchyard.error": .string(error.description)])
            throw .unavailable("the job store did not answer")
        }
        let stored = job
        batches.scheduler.schedule(job.id) { await self.runJob(stored) }
        return .json(202, BatchJobResponse.body(job), headers: [("x-request-id", job.id)])
    }

    /// `GET /v1/batches/{id}`: the caller's tenant's job (another tenant's is not found).
    func getBatch(_ id: String, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let batches = try jobAPI()
        return .json(200, BatchJobResponse.body(try await job(id, key: key, batches)))
    }

    /// `GET /v1/batches/{id}/results`: one JSON line per finished item, in item order.
    func batchResults(_ id: String, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let batches = try jobAPI()
        let job = try await job(id, key: key, batches)
        let chunks: [BatchChunk]
        do throws(UsageError) {
            chunks = try await batches.store.chunks(ofJob: job.id, deadline: .now + batches.storeTimeout)
        } catch {
            throw .unavailable("the job store did not answer")
        }
        var body: [UInt8] = []
        for chunk in chunks where chunk.done {
            for line in chunk.results ?? [] {
                body += line.utf8
                body.append(0x0A)
            }
        }
        return FrontDoorResponse(
            status: 200,
            headers: [("content-type", "application/jsonl"), ("x-switchyard-batch-status", job.status.rawValue)],
            body: .bytes(body))
    }

    /// Jobs a previous process left unfinished, scheduled again (at start). Chunks already done
    /// are kept; a chunk that was running runs again under the same request id, so its
    /// reservation and usage are the same ones (billed once).
    /// - Returns: how many jobs were resumed.
    public func resumeBatches() async throws(FrontDoorError) -> Int {
        let batches = try jobAPI()
        let jobs: [BatchJob]
        do throws(UsageError) {
            jobs = try await batches.store.unfinished(deadline: .now + batches.storeTimeout)
        } catch {
            throw .unavailable("the job store did not answer: \(error.description)")
        }
        for job in jobs { batches.scheduler.schedule(job.id) { await self.runJob(job) } }
        return jobs.count
    }

    private func jobAPI() throws(FrontDoorError) -> FrontDoorBatches {
        guard let batches else { throw .unavailable("batch jobs need the job store (MONGODB_URI)") }
        return batches
    }

    private func job(_ id: String, key: StoredKey, _ batches: FrontDoorBatches) async throws(FrontDoorError)
        -> BatchJob
    {
        guard Identifier.isValid(id, maxBytes: 64) else { throw .notFound(path: "/v1/batches/" + id) }
        let found: BatchJob?
        do { found = try await batches.store.job(id, tenant: key.tenant, deadline: .now + batches.storeTimeout) } catch
        {
            throw .unavailable("the job store did not answer")
        }
        guard let found else { throw .notFound(path: "/v1/batches/" + id) }
        return found
    }

    // MARK: - Running a job

    /// Runs the job's chunks that are not done, one after another, saving each chunk's results
    /// and the job's counts as it goes.
    func runJob(_ start: BatchJob) async {
        guard let batches else { return }
        var job = start
        guard
            var chunks = await retrying(
                batches, "read the chunks",
                { () async throws(UsageError) in
                    try await batches.store.chunks(ofJob: job.id, deadline: .now + batches.storeTimeout)
                })
        else { return }
        // Counts from what is stored, so a resumed job does not count a chunk twice.
        job.chunksDone = chunks.filter(\.done).count
        job.succeeded = chunks.reduce(0) { $0 + ($1.done ? $1.succeeded : 0) }
        job.failed = chunks.reduce(0) { $0 + ($1.done ? $1.failed : 0) }
        job.costPicoUSD = chunks.reduce(PicoUSD(0)) { Self.jobCost($0, plus: $1.done ? $1.costPicoUSD : PicoUSD(0)) }
        job.status = .inProgress
        guard await save(job, batches) else { return }
        for i in chunks.indices where !chunks[i].done {
            let (chunk, stop) = await runChunk(job, chunks[i])
            chunks[i] = chunk
            guard await save(chunk, batches) else { return }
            job.chunksDone += 1
            job.succeeded += chunk.succeeded
            job.failed += chunk.failed
            job.costPicoUSD = Self.jobCost(job.costPicoUSD, plus: chunk.costPicoUSD)
            if let stop {
                // The rest of the job would be refused the same way: its items fail without running.
                job.status = .failed
                job.error = stop
                job.failed += chunks[(i + 1)...].filter { !$0.done }.reduce(0) { $0 + $1.items.count }
                job.completedAtMs = Self.now()
                _ = await save(job, batches)
                return
            }
            guard await save(job, batches) else { return }
        }
        job.status = .completed
        job.completedAtMs = Self.now()
        _ = await save(job, batches)
    }

    /// A job's cost as its owner sees it (each chunk is billed exactly in the usage store): it
    /// stops at Int64's 9.2 million dollars rather than wrap.
    static func jobCost(_ total: PicoUSD, plus chunk: PicoUSD) -> PicoUSD {
        (try? total.adding(chunk)) ?? PicoUSD(chunk.rawValue < 0 ? Int64.min : Int64.max)
    }

    /// One chunk through the pipeline as one inline batch: routed, its ceiling reserved, run.
    /// - Returns: the chunk with its results, and the reason to stop the job (a refusal of the
    ///   whole request: budget, model, policy), if any.
    func runChunk(_ job: BatchJob, _ chunk: BatchChunk) async -> (BatchChunk, stop: StepError?) {
        let received = Self.now()
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let request = Self.chunkRequest(job, chunk, received: received)
        var chunk = chunk
        func failAll(_ error: StepError) -> (BatchChunk, stop: StepError?) {
            chunk.results = chunk.items.map { BatchResultLine.failed(itemID: $0.id, error) }
            chunk.failed = chunk.items.count
            chunk.succeeded = 0
            chunk.done = true
            return (chunk, error)
        }
        let decision = await backend.route(request, deadline: deadline)
        if decision.route == .rejected {
            await enqueue(decision.usage, context: decision.context)
            return failAll(decision.rejection ?? StepError(errorType: "Router.Rejected", errorMessage: "rejected"))
        }
        // Back-pressure, a busy or unreachable ledger (503s) pass: the chunk waits for them rather than failing.
        var pause = Duration.milliseconds(200)
        while true {
            var refusal = await backPressure()
            if refusal == nil { refusal = await reserve(decision, tenant: job.tenant, requestID: request.requestID) }
            guard let refused = refusal else { break }
            if refused.status == 503, ContinuousClock.now + pause < deadline {
                try? await Task.sleep(for: pause)
                pause = min(pause * 2, .seconds(5))
                continue
            }
            await enqueueRefused(decision.usage, context: decision.context, refusal: refused)
            return failAll(StepError(errorType: refused.errorType, errorMessage: refused.errorMessage))
        }
        let response = await backend.run(request, deadline: deadline)
        guard response.status != .rejected, response.status != .failed, let items = response.items else {
            return failAll(
                response.error ?? response.rejection
                    ?? StepError(errorType: "Switchyard.BatchFailed", errorMessage: "the chunk has no item outcomes"))
        }
        var lines: [String] = []
        var usage = decision.usage
        var succeeded = 0
        for (item, outcome) in zip(chunk.items, items) {
            lines.append(BatchResultLine.line(outcome, itemID: item.id))
            if outcome.status != .failed { succeeded += 1 }
            switch outcome {
            case .llm(let o): usage += o.usage
            case .vision(let o): usage += o.usage
            }
        }
        chunk.results = lines
        chunk.succeeded = succeeded
        chunk.failed = chunk.items.count - succeeded
        chunk.costPicoUSD = backend.cost(of: usage)
        chunk.done = true
        return (chunk, nil)
    }

    static func chunkRequest(_ job: BatchJob, _ chunk: BatchChunk, received: Int64) -> InferenceRequest {
        InferenceRequest(
            requestID: job.requestID(ofChunk: chunk.index), tenantID: job.tenant, hints: job.hints,
            parameters: job.parameters, batch: chunk.items, receivedAtMs: received)
    }

    private func save(_ job: BatchJob, _ batches: FrontDoorBatches) async -> Bool {
        await retrying(batches, "save job") { () async throws(UsageError) in
            try await batches.store.save(job, deadline: .now + batches.storeTimeout)
        } != nil
    }

    private func save(_ chunk: BatchChunk, _ batches: FrontDoorBatches) async -> Bool {
        await retrying(batches, "save chunk") { () async throws(UsageError) in
            try await batches.store.save(chunk, deadline: .now + batches.storeTimeout)
        } != nil
    }

    /// A store call retried with backoff for up to the request timeout; nil when it never
    /// succeeded (the job stays unfinished in the store and resumes at the next start).
    private func retrying<T>(
        _ batches: FrontDoorBatches, _ what: String, _ body: () async throws(UsageError) -> T
    ) async -> T? {
        let giveUp = ContinuousClock.now + configuration.requestTimeout
        var delay = Duration.milliseconds(100)
        while true {
            do { return try await body() } catch {
                if ContinuousClock.now + delay >= giveUp {
                    logger.error(
                        "batch job store: could not \(what); the job resumes at the next start",
                        metadata: ["switchyard.error": .string(error.description)])
                    return nil
                }
                try? await Task.sleep(for: delay)
                delay = min(delay * 2, .seconds(5))
            }
        }
    }
}
