/// What the usage path carries: the message body the state machine sends to the usage queue
/// (and every other entry point enqueues), drained by the usage logger.
///
/// The state machine only selects fields into it: `records` from one step, `batches` from a
/// Parallel or Map (lists of lists), `failures` from Catch paths (a step that ended without an
/// outcome, recorded as a failed step), and `execution` for the Express orchestration record.
public struct UsageBatch: Codable, Sendable, Equatable {
    public var records: [UsageRecord]?
    public var batches: [[UsageRecord]]?
    public var failures: [StepFailure]?
    /// The request's context, for records the logger builds itself (failures, orchestration).
    public var context: UsageContext?
    public var execution: ExecutionFacts?

    public init(
        records: [UsageRecord]? = nil, batches: [[UsageRecord]]? = nil, failures: [StepFailure]? = nil,
        context: UsageContext? = nil, execution: ExecutionFacts? = nil
    ) {
        self.records = records
        self.batches = batches
        self.failures = failures
        self.context = context
        self.execution = execution
    }

    /// The records carried directly, in order.
    public var allRecords: [UsageRecord] { (records ?? []) + (batches ?? []).flatMap { $0 } }
}

/// A step that ended without an outcome document (a Catch path): what Step Functions reports.
public struct StepFailure: Codable, Sendable, Equatable {
    public var step: String
    /// Step Functions' `Error` (the errorType, or `States.Timeout`, `Lambda.ServiceException`…).
    public var error: String
    /// Step Functions' `Cause` (the error document, trimmed by the logger).
    public var cause: String?

    public init(step: String, error: String, cause: String? = nil) {
        self.step = step
        self.error = error
        self.cause = cause
    }
}

/// The Express execution, for its orchestration charge: `$$.Execution.Id`,
/// `$$.Execution.StartTime` and the logging state's `$$.State.EnteredTime` (RFC 3339).
public struct ExecutionFacts: Codable, Sendable, Equatable {
    public var executionID: String
    public var startTime: String
    public var endTime: String
    /// Billed memory; Express bills in 64 MB steps.
    public var memoryMB: Int64?

    enum CodingKeys: String, CodingKey {
        case executionID = "executionId"
        case startTime, endTime, memoryMB
    }

    public init(executionID: String, startTime: String, endTime: String, memoryMB: Int64? = nil) {
        self.executionID = executionID
        self.startTime = startTime
        self.endTime = endTime
        self.memoryMB = memoryMB
    }
}
