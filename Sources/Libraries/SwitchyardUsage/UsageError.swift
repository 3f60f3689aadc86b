import SwitchyardCore

/// Errors of the usage path. `errorType` strings are matched by the state machine and queues:
/// `Usage.StoreUnavailable` and `Usage.QueueUnavailable` are retried (the record stays queued or
/// in the execution until it is stored); the input errors are not, since no retry can fix them.
public enum UsageError: FunctionError, Equatable {
    /// A record that cannot be decoded or breaks an invariant (empty key, cached > input, ...).
    case invalidRecord(index: Int, detail: String)
    /// A token or image count below zero.
    case negativeCount(index: Int, field: String, value: Int64)
    /// A successful text step with no token counts: its cost would silently read as $0.
    case missingTokens(index: Int, requestID: String, step: String, field: String = "tokens")
    /// The stored document would exceed the configured size limit.
    case recordTooLarge(index: Int, bytes: Int, limit: Int)
    /// MongoDB could not be reached after the configured attempts.
    case storeUnavailable(attempts: Int, detail: String)
    /// MongoDB answered with an error that is not a duplicate (e.g. validation, auth).
    case storeRejected(detail: String)
    /// The usage queue did not accept a batch (SQS unreachable or refusing, the local journal
    /// not writable): the batch is not enqueued, and the caller must not report it billed.
    case queueUnavailable(detail: String)

    public var errorType: String {
        switch self {
        case .invalidRecord: "Usage.InvalidRecord"
        case .negativeCount: "Usage.NegativeCount"
        case .missingTokens: "Usage.MissingTokens"
        case .recordTooLarge: "Usage.RecordTooLarge"
        case .storeUnavailable: "Usage.StoreUnavailable"
        case .storeRejected: "Usage.StoreRejected"
        case .queueUnavailable: "Usage.QueueUnavailable"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidRecord(let index, let detail): "record \(index): \(detail.prefix(300))"
        case .negativeCount(let index, let field, let value): "record \(index): \(field) must be ≥ 0, found \(value)"
        case .missingTokens(let index, let requestID, let step, let field):
            "record \(index) (requestId \(requestID.prefix(80)), step \(step.prefix(40))): \(field) token count missing; a succeeded text step needs input and output counts"
        case .recordTooLarge(let index, let bytes, let limit):
            "record \(index): \(bytes) bytes exceeds the limit of \(limit)"
        case .storeUnavailable(let attempts, let detail):
            "MongoDB unreachable after \(attempts) attempts: \(detail.prefix(300))"
        case .storeRejected(let detail): "MongoDB rejected the write: \(detail.prefix(300))"
        case .queueUnavailable(let detail): "the usage queue did not take the batch: \(detail.prefix(300))"
        }
    }
}
