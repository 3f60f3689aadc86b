import Logging
import SwitchyardCore
import SwitchyardJSON

/// Drains a `JournaledUsageQueue` into the store in-process, with the usage logger's own code
/// (`UsageIngestor`): what the SQS event source mapping and the usage-logger do on AWS.
///
/// Messages are taken in batches; stored ones are acknowledged, invalid ones dead-lettered (they
/// would fail the same way forever), and when the store fails the batch is delivered again after
/// a backoff that doubles up to `maxBackoff` — for as long as the store is down, so nothing is
/// lost while MongoDB is away (the journal holds it across restarts too).
public struct UsageQueueDrain: Sendable {
    public let queue: JournaledUsageQueue
    public let ingestor: UsageIngestor
    /// Messages stored per write. Default 10 (as an SQS batch).
    public var batchSize = 10
    /// Deadline of one store attempt. Default 30 s.
    public var attemptTimeout: Duration = .seconds(30)
    public var initialBackoff: Duration = .milliseconds(200)
    public var maxBackoff: Duration = .seconds(30)

    public init(queue: JournaledUsageQueue, ingestor: UsageIngestor) {
        self.queue = queue
        self.ingestor = ingestor
    }

    /// Runs until the task is cancelled.
    public func run(logger: Logger = Logger(label: "switchyard.usage-drain")) async {
        var backoff = initialBackoff
        while !Task.isCancelled {
            let messages = await queue.take(max: batchSize)
            if messages.isEmpty { continue }
            let stored = await drain(messages, logger: logger)
            if stored {
                backoff = initialBackoff
            } else {
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, maxBackoff)
            }
        }
    }

    /// Stores one batch of taken messages and settles each with the queue.
    /// - Returns: false when the store failed (the messages are queued again).
    @discardableResult
    public func drain(_ messages: [JournaledUsageQueue.Message], logger: Logger? = nil) async -> Bool {
        var parsed: [UsageIngestor.Message] = []
        var sequences: [UInt64] = []
        for message in messages {
            guard let body = try? JSON.parse(message.body) else {
                try? await queue.deadLetter(
                    message.sequence, error: .invalidRecord(index: -1, detail: "body is not JSON"))
                continue
            }
            parsed.append(.init(id: String(message.sequence), body: body, sentAt: message.sentAt))
            sequences.append(message.sequence)
        }
        let (outcomes, _) = await ingestor.ingest(parsed, deadline: .now + attemptTimeout, logger: logger)
        var acknowledged: [UInt64] = []
        var retry: [UInt64] = []
        for (sequence, outcome) in zip(sequences, outcomes) {
            switch outcome {
            case .stored: acknowledged.append(sequence)
            case .invalid(let error): try? await queue.deadLetter(sequence, error: error)
            case .failed: retry.append(sequence)
            }
        }
        await queue.acknowledge(acknowledged)
        await queue.requeue(retry)
        return retry.isEmpty
    }
}
