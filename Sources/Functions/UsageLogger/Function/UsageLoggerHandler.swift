import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime
import SwitchyardUsage

/// The `usage-logger` function: validates usage records, prices them from the rates table, and
/// stores them (idempotently, with rollups) in MongoDB.
///
/// Errors (`errorType`): `Usage.InvalidRecord`, `Usage.NegativeCount`, `Usage.MissingTokens`,
/// `Usage.RecordTooLarge` (input errors: route to Catch), `Usage.StoreUnavailable` (retry: the
/// state machine keeps the record in its input until it is stored), `Usage.StoreRejected`.
public struct UsageLoggerHandler: FunctionHandler {
    public typealias Event = UsageLoggerEvent

    let sink: any UsageSink
    let calculator: CostCalculator
    let maxRecordsPerEvent: Int
    let ratesPublisher: RatesPublisher?
    let repairer: RollupRepairer?

    /// Builds the handler from configuration: reads and checks the rates file, sets up the store.
    /// - Throws: `ConfigurationError` / `RatesError` (reported to `/runtime/init/error`).
    public init(configuration: UsageLoggerConfiguration) throws {
        let bytes = try FileReader.read(configuration.ratesPath)
        let rates = try RatesTable(bytes: bytes)
        let sink = try MongoUsageSink(configuration: configuration.store)
        self.init(
            sink: sink, calculator: CostCalculator(rates: rates), maxRecordsPerEvent: configuration.maxRecordsPerEvent,
            ratesPublisher: RatesPublisher(sink: sink, document: try? JSON.parse(bytes)),
            repairer: RollupRepairer(sink: sink))
    }

    /// For tests and other executables that bring their own sink.
    public init(
        sink: any UsageSink, calculator: CostCalculator, maxRecordsPerEvent: Int = 500,
        ratesPublisher: RatesPublisher? = nil,
        repairer: RollupRepairer? = nil
    ) {
        self.sink = sink
        self.calculator = calculator
        self.maxRecordsPerEvent = maxRecordsPerEvent
        self.ratesPublisher = ratesPublisher
        self.repairer = repairer
    }

    public func handle(_ event: UsageLoggerEvent, context: InvocationContext) async throws -> UsageLoggerOutput {
        let records = try price(event)
        await ratesPublisher?.publishOnce()
        let summary = try await sink.write(records)
        await repairer?.repairIfDue()
        context.logger.info(
            "usage stored",
            metadata: [
                "switchyard.records": "\(records.count)", "switchyard.inserted": "\(summary.inserted)",
                "switchyard.duplicates": "\(summary.duplicates)", "switchyard.unpriced": "\(summary.unpriced)",
            ])
        return UsageLoggerOutput(summary: summary, records: records)
    }

    /// Decodes, validates and prices the event's records (no I/O).
    public func price(_ event: UsageLoggerEvent) throws(UsageError) -> [UsageRecord] {
        let records = try event.records(limit: maxRecordsPerEvent)
        var priced: [UsageRecord] = []
        priced.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            try record.validate(index: index)
            do {
                priced.append(try record.priced(by: calculator))
            } catch {
                throw .invalidRecord(index: index, detail: error.errorMessage)
            }
        }
        return priced
    }
}

/// What the function returns: the write summary and each record's cost.
public struct UsageLoggerOutput: Encodable, Sendable {
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

    func publishOnce() async {
        guard !published, let document else { return }
        do {
            try await sink.publishRates(document)
            published = true
        } catch {}
    }
}

/// Finishes rollups that a crashed or timed-out writer left behind, at most once per interval
/// per process, after a successful write (so it never delays a failing one). Best effort: a
/// failure is retried at the next interval.
public actor RollupRepairer {
    let sink: MongoUsageSink
    /// Minimum time between repairs. Default 5 minutes.
    let interval: Duration
    /// Only batches claimed longer ago than this are taken over (their writer is gone). Default 60 s.
    let graceMilliseconds: Int64
    var last: ContinuousClock.Instant?

    public init(sink: MongoUsageSink, interval: Duration = .seconds(300), graceMilliseconds: Int64 = 60_000) {
        self.sink = sink
        self.interval = interval
        self.graceMilliseconds = graceMilliseconds
    }

    func repairIfDue() async {
        let now = ContinuousClock.now
        if let last, now - last < interval { return }
        last = now
        _ = try? await sink.repairRollups(graceMilliseconds: graceMilliseconds, recentMilliseconds: 86_400_000)
    }
}
