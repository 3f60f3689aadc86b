import SwitchyardContract

/// The retrieval step of a decision (policy `retrieval` section).
extension Router {
    /// The retrieval plan for a single LLM request, or nil when no rule asks for one.
    /// - Throws: `Router.InvalidHint` for a `hints.retrieval` that is not a collection name.
    func retrievalPlan(
        _ profile: RequestProfile, classification: Classification, tier: String, route: Route
    ) throws(RouterError) -> RetrievalPlan? {
        let requested = profile.rawHints?.retrieval
        if let requested, !RetrievalPolicy.isCollectionName(requested) {
            throw .invalidHint(field: "retrieval", problem: "a collection name: 1...64 characters of A-Z a-z 0-9 _ - .")
        }
        guard route == .llm, let policy = table.policy.retrieval else { return nil }
        for rule in policy.rules where matches(rule.when, profile, classification: classification, tier: tier) {
            guard let collection = requested ?? rule.collection else { return nil }
            let topK = rule.topK ?? policy.topK
            return RetrievalPlan(
                collection: collection, topK: topK, embeddingModel: policy.embeddingModel,
                passageModel: policy.passageModel,
                estimatedSourceTokens: topK * policy.tokensPerSource + RetrievalPolicy.instructionTokens,
                estimatedCostPicoUSD: try questionEmbeddingCost(policy.embeddingModel, profile: profile))
        }
        return nil
    }

    /// Longest question the llm-caller embeds: the last user message's last 2 000 characters, at
    /// most 8 000 UTF-8 bytes, as the router counts tokens.
    static let maxQuestionTokens = TokenEstimate.tokens(utf8Bytes: 8_000, messages: 1)

    /// What embedding the question costs: at most the whole prompt's tokens, the longest question
    /// and the model's context window, at the model's input price.
    /// - Throws: `Router.PromptTooLarge` when the estimate is beyond the representable range.
    func questionEmbeddingCost(_ model: ModelID, profile: RequestProfile) throws(RouterError) -> PicoUSD {
        // RoutingBundle validates that the section's models are catalog embedding models.
        guard let i = table.modelIndex[model] else { return .zero }
        let tokens = min(profile.inputTokens, Self.maxQuestionTokens, max(table.cores[i].contextWindow, 0))
        guard let cost = table.estimate(model: i, inputTokens: tokens, outputTokens: 0, images: 0, health: nil).cost
        else { throw .promptTooLarge("the estimated cost of embedding the question is beyond the representable range") }
        return cost
    }

    /// A rule condition against a text request (retrieval rules are few: no compiled form).
    private func matches(
        _ when: RuleCondition, _ profile: RequestProfile, classification: Classification, tier: String
    ) -> Bool {
        if let m = when.modalities, !m.contains(.text) { return false }
        if let c = when.categories, !c.contains(classification.category) { return false }
        if let d = when.difficulties, !d.contains(classification.difficulty) { return false }
        if let t = when.tiers, !t.contains(tier) { return false }
        if let t = when.tenants, !t.contains(profile.tenantID) { return false }
        if let r = when.routes {
            guard let route = profile.hints.route, r.contains(route) else { return false }
        }
        if let tags = when.tags, !tags.contains(where: profile.hints.tags.contains) { return false }
        if let uncertain = when.uncertain, uncertain != isUncertain(classification) { return false }
        return true
    }
}
