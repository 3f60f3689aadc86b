/// The state machine branch a decision takes; the Choice state matches these strings.
public enum Route: String, Codable, Sendable, CaseIterable {
    case llm
    case vision
    /// Detector and LLM in parallel, joined into one answer.
    case visionLLM = "vision+llm"
    case batch
    case embedding
    /// The request is refused (over budget, unknown model, unsupported content…): `rejection` says why.
    case rejected
}
