import Foundation
import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import Synchronization

/// Polls an SQS queue and invokes a function with the messages, as Lambda's SQS event source
/// mapping does: long-polling `ReceiveMessage`, an `aws:sqs` event of up to `batchSize` records,
/// then `DeleteMessageBatch` of the messages that succeeded. With `reportBatchItemFailures` the
/// function's `{"batchItemFailures": [{"itemIdentifier": id}]}` names the ones to keep; an answer
/// that is not JSON or names an id not in the batch fails the whole batch, as on AWS. A function
/// error, throttle or timeout deletes nothing. Messages not deleted reappear after the
/// visibility timeout, and the queue's redrive policy moves them to its dead-letter queue after
/// `maxReceiveCount` receives (SQS does that, not the mapping).
public final class SQSEventSourceMapping: Sendable {
    public let configuration: EventSourceMappingConfiguration
    private let pool: FunctionPool
    private let client: SQSClient
    private let log: @Sendable (String) -> Void
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let counters = Mutex(Counters())

    /// What the mapping has done, for tests and diagnostics.
    public struct Counters: Sendable, Equatable {
        public var invocations = 0
        public var messagesDeleted = 0
        public var messagesFailed = 0
        public var receiveErrors = 0
    }

    public var statistics: Counters { counters.withLock { $0 } }

    /// - Parameter environment: `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`
    ///   sign the SQS calls (moto accepts any; default `test`).
    public init(
        configuration: EventSourceMappingConfiguration, pool: FunctionPool, environment: Environment,
        transport: any HTTPTransport = CurlTransport(), log: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.pool = pool
        self.log = log
        let credentials = AWSCredentials(
            accessKeyID: environment.string("AWS_ACCESS_KEY_ID", default: "test"),
            secretAccessKey: environment.string("AWS_SECRET_ACCESS_KEY", default: "test"),
            sessionToken: environment["AWS_SESSION_TOKEN"].flatMap { $0.isEmpty ? nil : $0 })
        client = SQSClient(
            endpoint: configuration.endpoint, region: configuration.region, credentials: credentials,
            transport: transport)
    }

    public func start() {
        guard configuration.enabled else { return }
        // A thread per poller: its SQS calls block the thread while they long-poll.
        let pool = BlockingPool(threads: configuration.maximumConcurrency)
        let pollers = (0..<configuration.maximumConcurrency).map { _ in
            Task(executorPreference: pool) { [self] in await self.poll() }
        }
        tasks.withLock { $0 += pollers }
    }

    public func stop() {
        for task in tasks.withLock({ $0 }) { task.cancel() }
    }

    private func poll() async {
        let arn = Self.queueARN(configuration.queueURL, region: configuration.region)
        while !Task.isCancelled {
            let messages = await gather()
            if messages.isEmpty { continue }
            await deliver(messages, queueARN: arn)
        }
    }

    /// Waits (long polling) for the first messages, then gathers more for up to the batching
    /// window, until `batchSize`.
    private func gather() async -> [SQSReceivedMessage] {
        var messages: [SQSReceivedMessage] = []
        var windowEnd: ContinuousClock.Instant?
        while !Task.isCancelled, messages.count < configuration.batchSize {
            let wait: Int
            if let windowEnd {
                let left = windowEnd - .now
                if left <= .zero { break }
                wait = min(20, Int(left.components.seconds))
            } else {
                wait = 20
            }
            do {
                let received = try await client.receiveMessages(
                    queueURL: configuration.queueURL, maxMessages: min(10, configuration.batchSize - messages.count),
                    waitSeconds: wait, visibilityTimeout: configuration.visibilityTimeoutSeconds,
                    deadline: .now + .seconds(wait + 10))
                messages += received
                if !messages.isEmpty && windowEnd == nil {
                    if configuration.maximumBatchingWindowSeconds == 0 { break }
                    windowEnd = .now + .milliseconds(Int64(configuration.maximumBatchingWindowSeconds * 1000))
                }
                if received.isEmpty && windowEnd != nil && wait == 0 { break }
            } catch {
                counters.withLock { $0.receiveErrors += 1 }
                log("sqs \(configuration.function): ReceiveMessage failed: \(error)")
                if !messages.isEmpty { break }
                try? await Task.sleep(for: .seconds(1))
            }
        }
        return messages
    }

    private func deliver(_ messages: [SQSReceivedMessage], queueARN: String) async {
        let event = Self.event(messages, queueARN: queueARN, region: configuration.region)
        let outcome = await pool.invoke(payload: event.serialized(), clientContext: nil)
        counters.withLock { $0.invocations += 1 }
        var keep = Set(messages.map(\.messageID))
        switch outcome {
        case .success(let body):
            if let failed = Self.failedIDs(
                body, batch: keep, reportBatchItemFailures: configuration.reportBatchItemFailures)
            {
                keep = failed
            } else {
                log("sqs \(configuration.function): invalid batchItemFailures answer; the whole batch will be retried")
            }
        case .functionError(let type, _):
            log("sqs \(configuration.function): function error \(type); \(messages.count) messages will be retried")
        case .throttled:
            log("sqs \(configuration.function): throttled; \(messages.count) messages will be retried")
            try? await Task.sleep(for: .seconds(1))
        }
        let done = messages.filter { !keep.contains($0.messageID) }
        var deleted = 0
        for start in stride(from: 0, to: done.count, by: 10) {
            let chunk = done[start..<min(done.count, start + 10)]
            do {
                let failed = try await client.deleteMessageBatch(
                    queueURL: configuration.queueURL,
                    entries: chunk.enumerated().map { (String($0.offset), $0.element.receiptHandle) },
                    deadline: .now + .seconds(10))
                deleted += chunk.count - failed.count
            } catch {
                log("sqs \(configuration.function): DeleteMessageBatch failed (messages will be redelivered): \(error)")
            }
        }
        counters.withLock {
            $0.messagesDeleted += deleted
            $0.messagesFailed += keep.count
        }
    }

    /// The ids to keep from a function's answer; nil when the answer is invalid (keep them all).
    static func failedIDs(_ body: [UInt8], batch: Set<String>, reportBatchItemFailures: Bool) -> Set<String>? {
        guard reportBatchItemFailures else { return [] }
        guard let answer = try? JSON.parse(body) else { return nil }
        // An empty or null answer, or one without the key, means every message succeeded.
        guard let list = answer["batchItemFailures"], !list.isNull else {
            return answer.objectValue != nil || answer.isNull ? [] : nil
        }
        guard let items = list.arrayValue else { return nil }
        var failed: Set<String> = []
        for item in items {
            guard let id = item["itemIdentifier"]?.stringValue, !id.isEmpty, batch.contains(id) else { return nil }
            failed.insert(id)
        }
        return failed
    }

    /// The `aws:sqs` event Lambda sends.
    static func event(_ messages: [SQSReceivedMessage], queueARN: String, region: String) -> JSON {
        .object([
            "Records": .array(
                messages.map { message in
                    var attributes = JSONObject()
                    for (key, value) in message.attributes.sorted(by: { $0.key < $1.key }) {
                        attributes[key] = .string(value)
                    }
                    return .object([
                        "messageId": .string(message.messageID), "receiptHandle": .string(message.receiptHandle),
                        "body": .string(message.body), "attributes": .object(attributes),
                        "messageAttributes": message.messageAttributes ?? .object([:]),
                        "md5OfBody": .string(message.md5OfBody ?? ""), "eventSource": "aws:sqs",
                        "eventSourceARN": .string(queueARN), "awsRegion": .string(region),
                    ])
                })
        ])
    }

    /// `arn:aws:sqs:<region>:<account>:<name>` from a queue URL (`…/<account>/<name>`).
    static func queueARN(_ url: String, region: String) -> String {
        let parts = url.split(separator: "/")
        let name = parts.last.map(String.init) ?? "queue"
        let account = parts.count >= 2 ? String(parts[parts.count - 2]) : "000000000000"
        return "arn:aws:sqs:\(region):\(account):\(name)"
    }
}
