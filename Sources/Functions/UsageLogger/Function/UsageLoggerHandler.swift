import Logging
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime
import SwitchyardUsage

/// The `usage-logger` function: the consumer of the usage queue. It validates usage messages,
/// prices them from the rates table, stores them durably (idempotently, with rollups) in MongoDB,
/// closes the requests' budget reservations, and runs the scheduled rollup repair. It decides
/// nothing else.
///
/// **SQS events** (the usage queue's event source mapping, with `ReportBatchItemFailures`): all
/// valid messages are stored in one write; the answer is `{"batchItemFailures": [...]}` naming
/// the messages to deliver again — those whose store failed, and those that failed validation.
/// A message that fails validation fails the same way every time, so after the queue's
/// `maxReceiveCount` receives its redrive policy moves it to the dead-letter queue, where it waits
/// for a person (it is logged at error level with its `errorType` on every receive).
///
/// **A bare `UsageBatch`** (direct invocation): answered with the write summary and each record's
/// cost; errors are thrown: `Usage.InvalidRecord`, `Usage.NegativeCount`, `Usage.MissingTokens`,
/// `Usage.RecordTooLarge` (input errors), `Usage.StoreUnavailable` (retry), `Usage.StoreRejected`.
///
/// **Maintenance** (`{"action": "repair"}` or an EventBridge scheduled event): completes rollups a
/// crash left unfinished (older than the grace period), releases expired reservations, and
/// reports how fresh the rollups are.
public struct UsageLoggerHandler: FunctionHandler {
    public typealias Event = UsageLoggerEvent

    let ingestor: UsageIngestor
    let store: MongoUsageSink?
    let ratesPublisher: RatesPublisher?

    /// Builds the handler from configuration: reads and checks the rates file, sets up the store
    /// and logs its configuration. No I/O to the store: the first event connects (it needs the
    /// connection anyway), learns the topology from the handshake, logs the resolved write concern
    /// and checks the indexes (`MongoUsageSink.prepare`), which the deployment created
    /// (`usage-ingest indexes`), so no cold start pays for creating them.
    /// - Throws: `ConfigurationError` / `RatesError` (reported to `/runtime/init/error`).
    public static func make(configuration: UsageLoggerConfiguration, logger: Logger = Logger(label: "usage-logger"))
        async throws -> UsageLoggerHandler
    {
        // Parsed once: the table is built from it, and the publisher stores the same document.
        let bytes = try FileReader.read(configuration.ratesPath)
        let document: JSON
        do { document = try JSON.parse(bytes) } catch { throw RatesError(field: "(document)", detail: "\(error)") }
        let rates = try RatesTable(json: document)
        let sink = try MongoUsageSink(configuration: configuration.store, logger: logger)
        logger.info("usage store configured", metadata: ["switchyard.store": "\(configuration.store.summary)"])
        return UsageLoggerHandler(
            ingestor: UsageIngestor(
                calculator: CostCalculator(rates: rates), sink: sink,
                ledger: configuration.settleReservations ? sink : nil,
                maxRecordsPerMessage: configuration.maxRecordsPerMessage),
            store: sink, ratesPublisher: RatesPublisher(sink: sink, document: document))
    }

    /// For tests and other executables that bring their own sink.
    public init(ingestor: UsageIngestor, store: MongoUsageSink? = nil, ratesPublisher: RatesPublisher? = nil) {
        self.ingestor = ingestor
        self.store = store
        self.ratesPublisher = ratesPublisher
    }

    public func handle(_ event: UsageLoggerEvent, context: InvocationContext) async throws -> UsageLoggerOutput {
        switch event {
        case .sqs(let messages):
            return .sqs(try await handleQueue(messages, context: context))
        case .batch(let body):
            return .batch(try await handleBatch(body, context: context))
        case .maintenance(let request):
            return try await handleMaintenance(request, context: context)
        }
    }

    /// Stores every valid message of an SQS batch in one write; names the others for redelivery.
    func handleQueue(_ messages: [SQSMessage], context: InvocationContext) async throws -> BatchItemFailures {
        await ratesPublisher?.publishOnce(deadline: context.deadline)
        let now = WallClock.nowMilliseconds()
        var failures: [String] = []
        var parsed: [UsageIngestor.Message] = []
        for message in messages {
            guard let body = try? JSON.parse(Array(message.body.utf8)) else {
                context.logger.error(
                    "usage message refused",
                    metadata: [
                        "switchyard.message": "\(message.messageID.prefix(80))", "errorType": "Usage.InvalidRecord",
                        "errorMessage": "body is not JSON",
                    ])
                failures.append(message.messageID)
                continue
            }
            parsed.append(.init(id: message.messageID, body: body, sentAt: message.sentTimestamp ?? now))
        }
        let (outcomes, summary) = await ingestor.ingest(parsed, deadline: context.deadline, logger: context.logger)
        for (message, outcome) in zip(parsed, outcomes) where !outcome.isStored { failures.append(message.id) }
        context.logger.info(
            "usage batch",
            metadata: [
                "switchyard.messages": "\(messages.count)", "switchyard.failed_messages": "\(failures.count)",
                "switchyard.inserted": "\(summary.inserted)", "switchyard.duplicates": "\(summary.duplicates)",
                "switchyard.unpriced": "\(summary.unpriced)",
            ])
        return BatchItemFailures(batchItemFailures: failures.map { .init(itemIdentifier: $0) })
    }

    /// A direct invocation: one message; errors are thrown with their `errorType`.
    func handleBatch(_ body: JSON, context: InvocationContext) async throws(UsageError) -> BatchResult {
        await ratesPublisher?.publishOnce(deadline: context.deadline)
        let message = UsageIngestor.Message(id: context.requestID, body: body, sentAt: WallClock.nowMilliseconds())
        let (outcomes, summary) = await ingestor.ingest([message], deadline: context.deadline, logger: context.logger)
        switch outcomes[0] {
        case .invalid(let error), .failed(let error):
            throw error
        case .stored(let records):
            context.logger.info(
                "usage stored",
                metadata: [
                    "switchyard.records": "\(records.count)", "switchyard.inserted": "\(summary.inserted)",
                    "switchyard.duplicates": "\(summary.duplicates)", "switchyard.unpriced": "\(summary.unpriced)",
                ])
            return BatchResult(summary: summary, records: records)
        }
    }

    func handleMaintenance(_ request: UsageMaintenance, context: InvocationContext) async throws(UsageError)
        -> UsageLoggerOutput
    {
        guard let store else { throw .storeRejected(detail: "no MongoDB store configured for maintenance") }
        let repair = try await store.repairRollups(
            graceMilliseconds: request.graceMilliseconds, recentMilliseconds: request.recentMilliseconds,
            deadline: context.deadline)
        let freshness = try await store.rollupFreshness(deadline: context.deadline)
        context.logger.info(
            "usage repair",
            metadata: [
                "switchyard.batches_resumed": "\(repair.batchesResumed)",
                "switchyard.documents_claimed": "\(repair.documentsClaimed)",
                "switchyard.reservations_expired": "\(repair.reservationsExpired)",
                "switchyard.complete": "\(repair.complete)",
                "switchyard.rollup_staleness_ms": "\(freshness.stalenessMilliseconds)",
            ])
        return .maintenance(repair: repair, freshness: freshness)
    }

    /// Decodes, builds, validates and prices a bare batch (no I/O).
    public func price(_ body: JSON) throws(UsageError) -> [UsageRecord] {
        try ingestor.price(body, sentAt: WallClock.nowMilliseconds())
    }
}

/// What the function returns, by event shape.
public enum UsageLoggerOutput: Encodable, Sendable {
    /// SQS: `{"batchItemFailures": [{"itemIdentifier": messageId}]}`.
    case sqs(BatchItemFailures)
    /// A bare batch: `{"summary": {...}, "costs": [...]}`.
    case batch(BatchResult)
    /// Maintenance: `{"repair": {...}, "freshness": {...}}`.
    case maintenance(repair: RollupRepairSummary, freshness: RollupFreshness)

    enum CodingKeys: String, CodingKey { case repair, freshness }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .sqs(let failures): try failures.encode(to: encoder)
        case .batch(let result): try result.encode(to: encoder)
        case .maintenance(let repair, let freshness):
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(repair, forKey: .repair)
            try c.encode(freshness, forKey: .freshness)
        }
    }
}

/// The partial-batch answer of an SQS event source mapping (`ReportBatchItemFailures`).
public struct BatchItemFailures: Encodable, Sendable, Equatable {
    public var batchItemFailures: [Item]

    public struct Item: Encodable, Sendable, Equatable {
        public var itemIdentifier: String
    }
}

/// The answer to a bare batch: the write summary and each record's cost.
public struct BatchResult: Encodable, Sendable {
    public var summary: UsageWriteSummary
    public var costs: [RecordCost]

    public struct RecordCost: Encodable, Sendable {
        public var requestId: String
        public var step: String
        public var costPicoUSD: Int64
        /// Exact decimal dollars, for people.
        public var costUSD: String
        public var unpriced: [String]
        public var rateVersion: String
    }

    init(summary: UsageWriteSummary, records: [UsageRecord]) {
        self.summary = summary
        costs = records.map { record in
            let total = record.cost?.totalPicoUSD ?? 0
            return RecordCost(
                requestId: record.requestID, step: record.step, costPicoUSD: total, costUSD: PicoUSD(total).description,
                unpriced: record.cost?.unpriced ?? [], rateVersion: record.cost?.rateVersion ?? "")
        }
    }
}

/// Publishes the rates document to MongoDB once per process, best effort: pricing uses the
/// in-memory table, so a failure here must not fail the write (it is retried next invocation).
public actor RatesPublisher {
    let sink: MongoUsageSink
    let document: JSON?
    var published = false

    init(sink: MongoUsageSink, document: JSON?) {
        self.sink = sink
        self.document = document
    }

    func publishOnce(deadline: ContinuousClock.Instant) async {
        guard !published, let document else { return }
        do {
            // At most a fifth of the invocation's time: the usage write matters more.
            let share = ContinuousClock.now + (deadline - .now) / 5
            try await sink.publishRates(document, deadline: share)
            published = true
        } catch {}
    }
}
