import Logging
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardUsage

/// Billing of the single-process server, on the one durable usage path (decisions.md): the
/// ledger is the usage store's (`MongoUsageSink` as `BudgetLedger`); usage goes to the journaled
/// local queue (fsynced before `enqueue` returns), drained in-process by the usage logger's own
/// code (`UsageQueueDrain` → `UsageIngestor`), which prices, stores, rolls up and settles the
/// reservations — as the usage-logger function does for SQS on AWS.
struct ServerBilling {
    var frontDoor: FrontDoorBilling
    var drain: Task<Void, Never>

    static func start(_ configuration: ServerConfiguration, rates: RatesTable, pool: BlockingPool, logger: Logger)
        async throws -> ServerBilling?
    {
        guard configuration.billing, let uri = configuration.mongoURI else { return nil }
        var store = try MongoUsageConfiguration(environment: Environment.process)
        store.uri = uri
        let sink = try MongoUsageSink(configuration: store, logger: logger)
        var ledgerSinks = [sink]
        for _ in 1..<configuration.ledgerConnections {
            ledgerSinks.append(try MongoUsageSink(configuration: store, logger: logger))
        }
        do {
            try await sink.prepare(deadline: .now + .seconds(10))
        } catch {
            // Not fatal: reservations fail closed (503) until the store answers; usage waits in the journal.
            logger.warning("usage store not reachable at start: \(error.errorMessage.prefix(200))")
        }
        try makeDirectory(configuration.usageQueueDirectory)
        let queue = try JournaledUsageQueue(directory: configuration.usageQueueDirectory)
        let ingestor = UsageIngestor(
            calculator: CostCalculator(rates: rates), sink: sink, ledger: sink)
        var drain = UsageQueueDrain(queue: queue, ingestor: ingestor)
        // Each store round trip is a journaled write: more messages per trip keep up with more
        // requests per second (10, an SQS batch, fell behind under load).
        drain.batchSize = configuration.drainBatch
        // The drain's store writes block (libmongoc): they run on a thread of their own.
        let drainThread = BlockingPool(threads: 1)
        let task = Task.detached(executorPreference: drainThread) { await drain.run(logger: logger) }
        let ledger = PooledLedger(sinks: ledgerSinks, pool: pool)
        return ServerBilling(
            frontDoor: FrontDoorBilling(
                ledger: ledger, queue: queue, backlog: { await queue.depth }, maxBacklog: configuration.maxUsageBacklog,
                admission: configuration.admission),
            drain: task)
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws {
        var partial = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            partial += "/" + component
            if mkdir(partial, 0o755) != 0 && errno != EEXIST {
                throw ConfigurationError.invalid(
                    variable: "SWITCHYARD_USAGE_QUEUE_DIR", value: path, expected: "a folder that can be created")
            }
        }
    }
}
