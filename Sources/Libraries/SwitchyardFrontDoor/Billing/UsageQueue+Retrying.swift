import Logging
import SwitchyardContract
import SwitchyardUsage

extension UsageQueue {
    /// Puts `batch` on the durable usage path, retrying with backoff until `timeout` has passed.
    ///
    /// Every front-door entry (the service's chat and embeddings, the in-process pipeline) enqueues
    /// through this one loop, so they give up the same way: after the timeout the loss is logged
    /// as critical (with the request id, never content) and `false` comes back.
    /// - Returns: whether the queue took the batch.
    public func enqueue(_ batch: UsageBatch, within timeout: Duration, logger: Logger) async -> Bool {
        guard !batch.allRecords.isEmpty || !(batch.failures ?? []).isEmpty else { return true }
        let deadline = ContinuousClock.now + timeout
        var delay = Duration.milliseconds(50)
        while true {
            do {
                try await enqueue(batch, deadline: deadline)
                return true
            } catch {
                if ContinuousClock.now + delay >= deadline {
                    logger.critical(
                        "usage could not be enqueued",
                        metadata: [
                            "switchyard.request": .string(batch.context?.requestID ?? "-"),
                            "switchyard.error": .string(error.description),
                        ])
                    return false
                }
                try? await Task.sleep(for: delay)
                delay = delay * 2
            }
        }
    }
}
