import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Resolves the plan's catalog ids to callable targets from this function's own configuration:
/// provider, provider model name, endpoint, region and credential come from the catalog entry
/// (after the local overlay) and the environment/Secrets Manager — never from the event, which
/// can only choose among configured models.
struct ModelResolver: Sendable {
    let configuration: LLMCallerConfiguration
    let credentials: CredentialResolver

    static let maxCandidates = 16
    /// The providers with chat (and embedding) codecs.
    static let llmProviders: [ProviderID] = [.openAI, .anthropic, .openAICompatible, .bedrock]

    /// Every candidate of `plan`, in order. A candidate that cannot be called (no key, images at
    /// a text model, no endpoint) comes back with `unavailable` set, to be recorded as skipped.
    /// - Throws: `LLM.UnknownModel` for an id the catalog lacks; `LLM.InvalidRequest` for a
    ///   malformed id, a model that is not an LLM, or limits out of range.
    func resolve(
        _ plan: LLMPlan, kind: BackendKind = .llm, request: ChatRequest, deadline: ContinuousClock.Instant
    ) async throws(StepError) -> [CallCandidate] {
        guard !plan.candidates.isEmpty else { throw invalid("plan.candidates: at least one model is required") }
        guard plan.candidates.count <= Self.maxCandidates else {
            throw invalid("plan.candidates: at most \(Self.maxCandidates) models")
        }
        guard (1...PromptBuilder.maxTokensLimit).contains(plan.maxOutputTokens) else {
            throw invalid("plan.maxOutputTokens: must be within 1...\(PromptBuilder.maxTokensLimit)")
        }
        var out: [CallCandidate] = []
        for (i, planned) in plan.candidates.enumerated() {
            let path = "plan.candidates[\(i)]"
            guard planned.model.isWellFormed else { throw invalid("\(path).model: not a well-formed catalog id") }
            guard let model = configuration.catalog.model(planned.model) else {
                throw StepError(
                    errorType: LLMError.unknownModel("").errorType,
                    errorMessage: "\(path).model: \(planned.model.rawValue) is not in this function's catalog "
                        + "(version \(configuration.catalog.version))")
            }
            guard model.kind == kind, Self.llmProviders.contains(model.provider) else {
                throw invalid(
                    "\(path).model: \(model.id.rawValue) is a \(model.kind.rawValue) model at "
                        + "\(model.provider.rawValue), not \(kind == .llm ? "an LLM" : "an embedding model")")
            }
            guard (1...900_000).contains(planned.attemptTimeoutMs) else {
                throw invalid("\(path).attemptTimeoutMs: must be within 1...900000")
            }
            guard (0...100_000_000).contains(planned.contextWindow) else {
                throw invalid("\(path).contextWindow: must be within 0...100000000")
            }
            if let max = planned.maxOutputTokens, !(1...PromptBuilder.maxTokensLimit).contains(max) {
                throw invalid("\(path).maxOutputTokens: must be within 1...\(PromptBuilder.maxTokensLimit)")
            }
            let modelLimit = planned.maxOutputTokens ?? model.maxOutputTokens
            let wanted = request.maxTokens ?? plan.maxOutputTokens
            let region = model.region ?? configuration.awsRegion
            let base =
                model.endpoint ?? configuration.baseURLs[model.provider]
                ?? (model.provider == .bedrock ? BedrockCodec.baseURL(region: region) : nil)
            var candidate = CallCandidate(
                model: model.id,
                target: ModelTarget(
                    provider: model.provider, model: model.resolvedProviderModel, baseURL: base ?? "", region: region,
                    maxOutputTokens: modelLimit),
                attemptTimeout: .milliseconds(planned.attemptTimeoutMs),
                contextWindow: kind == .llm ? planned.contextWindow : nil,
                reservedOutputTokens: min(wanted, modelLimit ?? wanted))
            if base == nil {
                candidate.unavailable = .invalidRequest(
                    "no endpoint is configured for \(model.id.rawValue) (catalog endpoint or "
                        + "LLM_COMPATIBLE_BASE_URL)")
            } else if request.hasImages, !model.capabilities.contains(.vision) {
                candidate.unavailable = .unsupportedContent(
                    provider: model.provider, message: "\(model.id.rawValue) does not take images")
            } else {
                do {
                    candidate.target.apiKey = try await credentials.apiKey(
                        for: model.provider, keyName: model.credential, deadline: deadline)
                } catch {
                    candidate.unavailable = error
                }
            }
            out.append(candidate)
        }
        return out
    }

    func invalid(_ message: String) -> StepError {
        StepError(errorType: LLMError.invalidRequest("").errorType, errorMessage: message)
    }
}
