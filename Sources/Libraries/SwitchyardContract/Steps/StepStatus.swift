/// How a backend step ended. The state machine branches on it with a Choice; usage is logged on
/// every branch.
public enum StepStatus: String, Codable, Sendable, CaseIterable {
    /// The first choice answered.
    case succeeded
    /// An answer came, but not from the first choice (a fallback model or detector), or only part
    /// of a batch item's work succeeded.
    case degraded
    /// No answer: every candidate failed or the request was invalid. `error` says why.
    case failed
}

/// A typed failure inside a document (not a Lambda error): the same `errorType` vocabulary the
/// functions raise, so Choice states and dashboards match the same strings.
public struct StepError: Codable, Sendable, Equatable, Error {
    public var errorType: String
    public var errorMessage: String

    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }
}
