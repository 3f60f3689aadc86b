import Logging
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The one code path from a usage message to the store: decode the `UsageBatch`, build the
/// records the logger owns (Catch failures, orchestration), validate, price from the rates
/// table, store with the sink's durable write concern, then close the requests' budget
/// reservations. It decides nothing else.
///
/// The usage-logger function runs it for SQS batches and direct invocations; the journaled local
/// queue's drain runs it in-process. Messages are stored together (one write for a whole SQS
/// batch: fewer durable round trips), and each gets its own outcome.
public struct UsageIngestor: Sendable {
    public let calculator: CostCalculator
    public let sink: any UsageSink
    public let ledger: (any BudgetLedger)?
    /// Most records one message may stand for. Default 500.
    public let maxRecordsPerMessage: Int

    public init(
        calculator: CostCalculator, sink: any UsageSink, ledger: (any BudgetLedger)? = nil,
        maxRecordsPerMessage: Int = 500
    ) {
        self.calculator = calculator
        self.sink = sink
        self.ledger = ledger
        self.maxRecordsPerMessage = maxRecordsPerMessage
    }

    /// One message of the usage path.
    public struct Message: Sendable {
        /// The queue's message id (SQS `messageId`, the local journal's sequence number).
        public var id: String
        public var body: JSON
        /// When it was sent, epoch ms (the time of failure records without an execution end).
        public var sentAt: Int64

        public init(id: String, body: JSON, sentAt: Int64) {
            self.id = id
            self.body = body
            self.sentAt = sentAt
        }
    }

    /// How one message ended.
    public enum Outcome: Sendable {
        /// Stored durably; the priced records.
        case stored([UsageRecord])
        /// Will never store (validation): the queue should dead-letter it, not retry it forever.
        case invalid(UsageError)
        /// The store failed: the queue should deliver it again.
        case failed(UsageError)

        public var isStored: Bool {
            if case .stored = self { return true }
            return false
        }
    }

    /// Decodes, builds, validates and prices one message's records (no I/O).
    /// - Throws: `Usage.InvalidRecord`, `Usage.NegativeCount`, `Usage.MissingTokens`, `Usage.RecordTooLarge`.
    public func price(_ body: JSON, sentAt: Int64) throws(UsageError) -> [UsageRecord] {
        let batch = try UsageBatch.decode(body, maxRecords: maxRecordsPerMessage)
        let records = try batch.usageRecords(receivedAt: sentAt)
        var priced: [UsageRecord] = []
        priced.reserveCapacity(records.count)
        for (index, record) in records.enumerated() {
            try record.validate(index: index)
            _ = try record.storageKey(index: index)
            do {
                priced.append(try record.priced(by: calculator))
            } catch {
                throw .invalidRecord(index: index, detail: error.errorMessage)
            }
        }
        return priced
    }

    /// Prices every message, stores the valid ones in one write, and closes their reservations.
    /// - Returns: one outcome per message, in order, and the write's summary.
    public func ingest(_ messages: [Message], deadline: ContinuousClock.Instant, logger: Logger? = nil) async -> (
        outcomes: [Outcome], summary: UsageWriteSummary
    ) {
        var outcomes: [Outcome] = []
        var records: [UsageRecord] = []
        for message in messages {
            do {
                let priced = try price(message.body, sentAt: message.sentAt)
                records += priced
                outcomes.append(.stored(priced))
            } catch {
                logger?.error(
                    "usage message refused",
                    metadata: [
                        "switchyard.message": "\(message.id.prefix(80))", "errorType": "\(error.errorType)",
                        "errorMessage": "\(error.errorMessage.prefix(300))",
                    ])
                outcomes.append(.invalid(error))
            }
        }
        guard !records.isEmpty else { return (outcomes, UsageWriteSummary()) }
        let summary: UsageWriteSummary
        do {
            summary = try await sink.write(records, deadline: deadline)
        } catch {
            logger?.error(
                "usage store failed",
                metadata: ["errorType": "\(error.errorType)", "errorMessage": "\(error.errorMessage.prefix(300))"])
            return (outcomes.map { $0.isStored ? .failed(error) : $0 }, UsageWriteSummary())
        }
        if let ledger {
            // Best effort: an open reservation left behind only holds budget until it expires.
            var first: [String: LedgerRequest] = [:]
            for record in records {
                let key = record.tenant + "\u{1F}" + record.requestID
                if first[key].map({ record.timestamp < $0.timestamp }) ?? true {
                    first[key] = LedgerRequest(
                        tenant: record.tenant, requestID: record.requestID, timestamp: record.timestamp)
                }
            }
            // At most half the time left, and 2 s: a slow ledger must not turn a stored batch into
            // a timed-out invocation (whose messages would be delivered again).
            let share = min((deadline - .now) / 2, .seconds(2))
            do {
                _ = try await ledger.settle(Array(first.values), deadline: .now + share)
            } catch {
                logger?.warning(
                    "budget reservations not settled",
                    metadata: ["errorType": "\(error.errorType)", "errorMessage": "\(error.errorMessage.prefix(200))"])
            }
        }
        return (outcomes, summary)
    }
}
