import SwitchyardProviders

/// The llm-caller's result: the normalised answer and every attempt made to get it.
public struct LLMCallOutput: Codable, Sendable, Equatable {
    public var requestId: String
    public var tenantId: String?
    /// `succeeded` or `failed` (only returned when the input asked `onFailure: "return"`).
    public var outcome: String
    public var provider: String?
    public var model: String?
    /// The model id as the provider reported it.
    public var providerModel: String?
    public var text: String?
    public var finishReason: String?
    /// The answering attempt's usage. Do not add it to the attempts' usage: it is one of them.
    public var usage: TokenUsage?
    public var latencyMs: Double
    public var ttftMs: Double?
    /// True when the answer came from a candidate other than the first.
    public var fallbackUsed: Bool
    public var providerRequestId: String?
    public var attempts: [AttemptRecord]
    public var error: OutputError?
}

public struct OutputError: Codable, Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String
}
