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
            return RetrievalPlan(
                collection: collection, topK: rule.topK ?? policy.topK, embeddingModel: policy.embeddingModel,
                passageModel: policy.passageModel)
        }
        return nil
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
