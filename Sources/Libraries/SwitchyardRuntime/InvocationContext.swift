import Logging
import SwitchyardCore

/// What the Runtime API says about one invocation, besides its payload.
public struct InvocationContext: Sendable {
    /// `Lambda-Runtime-Aws-Request-Id`.
    public var requestID: String
    /// `Lambda-Runtime-Deadline-Ms`: wall-clock milliseconds since the epoch.
    public var deadlineMilliseconds: Int64
    /// `Lambda-Runtime-Invoked-Function-Arn`.
    public var invokedFunctionARN: String
    /// `Lambda-Runtime-Trace-Id`; also exported to the process as `_X_AMZN_TRACE_ID`.
    public var traceID: String?
    /// `Lambda-Runtime-Client-Context` (JSON, as sent by the mobile SDKs), unparsed.
    public var clientContext: String?
    /// `Lambda-Runtime-Cognito-Identity`, unparsed.
    public var cognitoIdentity: String?
    /// Tagged with `aws-request-id` for this invocation.
    public var logger: Logger

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, logger: Logger = Logger(label: "switchyard")
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.logger = logger
    }

    /// Time left before Lambda stops the invocation; negative once the deadline has passed.
    public var remainingTime: Duration {
        .milliseconds(deadlineMilliseconds - WallClock.nowMilliseconds())
    }

    /// The deadline on the process's monotonic clock, for APIs that take an instant.
    public var deadline: ContinuousClock.Instant {
        ContinuousClock.now.advanced(by: remainingTime)
    }
}
