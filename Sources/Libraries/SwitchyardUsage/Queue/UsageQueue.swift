import SwitchyardContract
import SwitchyardJSON

/// The durable usage path's entry: every billed call's usage is enqueued here, whichever entry
/// it came through, and drained into MongoDB by the usage logger's code (decisions.md, "One
/// durable usage path").
///
/// At least once: when `enqueue` returns, the batch survives a crash of the caller and of the
/// database, and will be stored; a retried enqueue may deliver it twice, which the store's
/// idempotent keys absorb.
public protocol UsageQueue: Sendable {
    /// Durably enqueues `batch`.
    /// - Throws: `Usage.QueueUnavailable` when the queue did not take it in time (then nothing
    ///   is promised, and the caller must keep the usage or fail the request), `Usage.InvalidRecord`
    ///   for a batch that cannot be encoded.
    func enqueue(_ batch: UsageBatch, deadline: ContinuousClock.Instant) async throws(UsageError)
}

extension UsageBatch {
    /// The batch as message bodies of at most `limit` bytes: whole when it fits, else its records
    /// split over several messages (each with the context; failures and execution with the first).
    /// - Throws: `Usage.RecordTooLarge` when one record alone exceeds the limit.
    public func messageBodies(limit: Int) throws(UsageError) -> [String] {
        func encoded(_ batch: UsageBatch) throws(UsageError) -> String {
            do { return String(decoding: try JSON.encode(batch), as: UTF8.self) } catch {
                throw .invalidRecord(index: -1, detail: "the batch cannot be encoded: \(error)")
            }
        }
        let whole = try encoded(self)
        if whole.utf8.count <= limit { return [whole] }
        let records = allRecords
        guard records.count > 1 else {
            throw .recordTooLarge(index: 0, bytes: whole.utf8.count, limit: limit)
        }
        let half = records.count / 2
        let first = UsageBatch(
            records: Array(records[..<half]), failures: failures, context: context, execution: execution)
        let second = UsageBatch(records: Array(records[half...]), context: context)
        return try first.messageBodies(limit: limit) + second.messageBodies(limit: limit)
    }
}
