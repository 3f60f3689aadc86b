/// Who serves a model: the one provider vocabulary of routing, calling, billing and dashboards.
///
/// LLM and embedding providers (`openai`, `anthropic`, `openai-compatible`, `bedrock`) are called
/// by the llm-caller through their codecs; vision homes (`sagemaker`, `lambda`, `container`) are
/// where the vision function runs a detector.
public enum ProviderID: String, Codable, Sendable, CaseIterable, Hashable {
    case openAI = "openai"
    case anthropic
    /// Any server that speaks OpenAI's API (llama.cpp, vLLM, a self-hosted gateway).
    case openAICompatible = "openai-compatible"
    case bedrock
    /// A SageMaker real-time or serverless endpoint (`.npy` tensor contract, SigV4).
    case sagemaker
    /// In-process inference inside the vision Lambda function itself.
    case lambda
    /// An HTTP endpoint with the same `.npy` contract as SageMaker: ECS/Fargate behind an internal
    /// load balancer, or the local endpoint.
    case container

    /// Where usage records say the call ran (`UsageRecord.backend`).
    public var backend: UsageBackend {
        switch self {
        case .openAI, .anthropic, .bedrock: .external
        case .openAICompatible: .external
        case .sagemaker: .sagemaker
        case .lambda: .lambda
        case .container: .fargate
        }
    }
}

/// What kind of model a catalog entry is, which decides the state machine's branch.
public enum BackendKind: String, Codable, Sendable, CaseIterable, Hashable {
    case llm
    case vision
    case embedding
}

/// Optional features a request may need from a model.
public enum ModelCapability: String, Codable, Sendable, CaseIterable, Hashable {
    /// Accepts image input alongside text.
    case vision
    case streaming
    /// Honours a JSON response format.
    case json
    case tools
}
