import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore

/// The usage queue on AWS: SQS (with a dead-letter queue), drained in batches by the
/// usage-logger's event source mapping. Each `UsageBatch` is one message (split when it exceeds
/// SQS's 256 KiB), sent with bounded retries within the caller's deadline.
public struct SQSUsageQueue: UsageQueue {
    public let client: SQSClient
    public let queueURL: String
    /// Sends per message, including the first, for throttling and transport failures. Default 3.
    public let maxAttempts: Int

    public init(client: SQSClient, queueURL: String, maxAttempts: Int = 3) {
        self.client = client
        self.queueURL = queueURL
        self.maxAttempts = maxAttempts
    }

    public func enqueue(_ batch: UsageBatch, deadline: ContinuousClock.Instant) async throws(UsageError) {
        for body in try batch.messageBodies(limit: SQSClient.maxMessageBytes) {
            var delay = 50
            var attempt = 0
            while true {
                attempt += 1
                do {
                    _ = try await client.sendMessage(queueURL: queueURL, body: body, deadline: deadline)
                    break
                } catch {
                    let retryable = error.errorType == "AWS.Throttled" || error.errorType.hasPrefix("HTTP.")
                    guard retryable, attempt < maxAttempts, (deadline - .now) > .milliseconds(delay + 50) else {
                        throw .queueUnavailable(detail: error.description)
                    }
                    try? await Task.sleep(for: .milliseconds(delay))
                    delay *= 4
                }
            }
        }
    }
}
