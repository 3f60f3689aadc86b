import Logging
import SwitchyardCore

/// What the Runtime API says about one invocation, besides its payload, and what the runtime
/// adds: the handler's deadline, the compute it runs on, and when it started.
///
/// **Deadlines.** `deadline` (and `deadlineMilliseconds`, `remainingTime`) is the *handler's*
/// deadline: the platform's deadline less the runtime's reporting margin
/// (`SWITCHYARD_DEADLINE_MARGIN_MS`, see `RuntimeConfiguration.deadlineMargin`). A handler that
/// stops its work there still has the margin to build and post a structured result. Handlers
/// use it as given, with no margin of their own; `platformDeadlineMilliseconds` is the raw
/// `Lambda-Runtime-Deadline-Ms`, for diagnostics.
public struct InvocationContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestID: String
    /// The handler's deadline, wall-clock milliseconds since the epoch: the platform's deadline
    /// less the runtime's reporting margin.
    public var deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Deadline-Ms` as delivered: when Lambda stops the invocation.
    public var platformDeadlineMilliseconds: Int64
    /// The handler's deadline on the monotonic clock, for APIs that take an instant.
    public var deadline: ContinuousClock.Instant
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`; also exported to the process as `_X_AMZN_TRACE_ID`.
    public var traceID: String?
    /// `Lambda-Runtime-Client-Context` (JSON, as sent by the mobile SDKs), unparsed.
    public var clientContext: String?
    /// `Lambda-Runtime-Cognito-Identity`, unparsed.
    public var cognitoIdentity: String?
    /// Memory size and architecture of this execution environment, for usage records.
    public var compute: ComputeEnvironment
    /// When the runtime received the invocation, on the monotonic clock.
    public var startedAt: ContinuousClock.Instant
    /// Tagged with `aws-request-id` for this invocation.
    public var logger: Logger

    /// - Parameters:
    ///   - deadlineMilliseconds: the handler's deadline (wall clock, epoch ms).
    ///   - platformDeadlineMilliseconds: the platform's deadline; defaults to `deadlineMilliseconds`
    ///     (tests and in-process callers that have no separate platform deadline).
    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil,
        logger: Logger = Logger(label: "switchyard", factory: { _ in SwiftLogNoOpLogHandler() }),
        platformDeadlineMilliseconds: Int64? = nil, compute: ComputeEnvironment = ComputeEnvironment(memoryMB: 128),
        startedAt: ContinuousClock.Instant = .now
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.platformDeadlineMilliseconds = platformDeadlineMilliseconds ?? deadlineMilliseconds
        // Converted once, so every reader of `deadline` sees the same instant.
        self.deadline = ContinuousClock.now.advanced(
            by: .milliseconds(deadlineMilliseconds.subtractingClamped(WallClock.nowMilliseconds())))
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.compute = compute
        self.startedAt = startedAt
        self.logger = logger
    }

    /// Time left before the handler's deadline; negative once it has passed.
    public var remainingTime: Duration { deadline - .now }

    /// Time since the runtime received the invocation: what the function reports as its own
    /// compute duration (`UsageRecord.Compute.durationMs`).
    public var elapsed: Duration { .now - startedAt }
}

extension Int64 {
    /// `self - other`, clamped to the representable range (deadlines come from outside).
    func subtractingClamped(_ other: Int64) -> Int64 {
        let (result, overflow) = subtractingReportingOverflow(other)
        return overflow ? (other < 0 ? .max : .min) : result
    }
}
