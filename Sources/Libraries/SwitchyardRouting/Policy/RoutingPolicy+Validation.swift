import SwitchyardContract

/// Semantic checks the decoder cannot make: references between sections, ranges, uniqueness.
extension RoutingPolicy {
    /// - Throws: the first problem found, as `PolicyError.invalid` with the field's path.
    public func validate() throws(PolicyError) {
        func fail(_ path: String, _ problem: String) -> PolicyError { .invalid(path: path, problem: problem) }
        func unit(_ value: Double, _ path: String) throws(PolicyError) {
            guard value >= 0, value <= 1 else { throw fail(path, "\(value) is outside 0...1") }
        }

        guard !policyID.isEmpty else { throw fail("policy_id", "must not be empty") }
        guard isDate(effectiveFrom) else {
            throw fail("effective_from", "\"\(effectiveFrom)\" is not a YYYY-MM-DD date")
        }
        guard !models.isEmpty else { throw fail("models", "the catalog is empty") }
        guard !tiers.isEmpty else { throw fail("tiers", "no tiers are defined") }

        // Defaults and limits.
        try unit(defaults.qualityFloor.easy, "defaults.quality_floor.easy")
        try unit(defaults.qualityFloor.medium, "defaults.quality_floor.medium")
        try unit(defaults.qualityFloor.hard, "defaults.quality_floor.hard")
        try unit(defaults.maxErrorRate, "defaults.max_error_rate")
        for (key, tokens) in defaults.outputTokens {
            guard key == "default" || TaskCategory(rawValue: key) != nil else {
                throw fail(
                    "defaults.output_tokens.\(key)",
                    "unknown category; expected one of \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", ")) or default"
                )
            }
            guard tokens > 0 else { throw fail("defaults.output_tokens.\(key)", "must be positive") }
        }
        guard defaults.outputTokens["default"] != nil else {
            throw fail("defaults.output_tokens.default", "is required")
        }
        guard (0...10).contains(defaults.fallbackCount) else {
            throw fail("defaults.fallback_count", "must be within 0...10")
        }
        guard defaults.attemptTimeout.multiplier >= 1 else {
            throw fail("defaults.attempt_timeout.multiplier", "must be at least 1")
        }
        guard defaults.attemptTimeout.minMs > 0, defaults.attemptTimeout.minMs <= defaults.attemptTimeout.maxMs else {
            throw fail("defaults.attempt_timeout.min_ms", "must be positive and not above max_ms")
        }
        guard defaults.costCeilingMultiplier >= 1 else {
            throw fail("defaults.cost_ceiling_multiplier", "must be at least 1")
        }
        guard defaults.batchMaxConcurrency >= 1 else {
            throw fail("defaults.batch_max_concurrency", "must be positive")
        }
        guard limits.maxPromptBytes > 0 else { throw fail("limits.max_prompt_bytes", "must be positive") }
        guard limits.maxImageBytes > 0 else { throw fail("limits.max_image_bytes", "must be positive") }
        guard limits.maxImages >= 0 else { throw fail("limits.max_images", "must not be negative") }
        guard limits.maxBatchItems >= 0 else { throw fail("limits.max_batch_items", "must not be negative") }
        try unit(classifier.confidenceThreshold, "classifier.confidence_threshold")
        guard classifier.timeoutMs > 0 else { throw fail("classifier.timeout_ms", "must be positive") }
        let modes = [classifier.mode] + tiers.values.compactMap(\.classifier)
        if modes.contains(where: { $0 == .llm || $0 == .hybrid }) {
            guard let model = classifier.model, !model.isEmpty else {
                throw fail("classifier.model", "is required when an LLM classifier is used")
            }
        }
        if modes.contains(.learned) {
            guard let learned = classifier.learned else {
                throw fail("classifier.learned", "is required when a tier uses the learned classifier")
            }
            guard !learned.file.isEmpty else { throw fail("classifier.learned.file", "must not be empty") }
            guard !learned.version.isEmpty else { throw fail("classifier.learned.version", "must not be empty") }
        }

        // Catalog.
        var modelIDs = Set<String>()
        for (i, model) in models.enumerated() {
            let at = "models[\(i)]"
            guard !model.id.isEmpty else { throw fail("\(at).id", "must not be empty") }
            guard modelIDs.insert(model.id).inserted else {
                throw fail("\(at).id", "duplicate model id \"\(model.id)\"")
            }
            let p = model.prices
            for (name, value) in [
                ("input_per_million", p.inputPerMillion), ("cached_input_per_million", p.cachedInputPerMillion),
                ("output_per_million", p.outputPerMillion), ("per_image", p.perImage), ("per_second", p.perSecond),
                ("per_request", p.perRequest),
            ] where value < 0 {
                throw fail("\(at).prices.\(name)", "must not be negative")
            }
            guard model.latency.p50Ms > 0 else { throw fail("\(at).latency.p50_ms", "must be positive") }
            guard model.latency.p95Ms >= model.latency.p50Ms else {
                throw fail("\(at).latency.p95_ms", "must not be below p50_ms")
            }
            if let tps = model.latency.outputTokensPerSecond, tps <= 0 {
                throw fail("\(at).latency.output_tokens_per_second", "must be positive")
            }
            guard !model.quality.isEmpty else {
                throw fail("\(at).quality", "has no category; the model could serve nothing")
            }
            for (key, score) in model.quality {
                guard let category = TaskCategory(rawValue: key) else {
                    throw fail(
                        "\(at).quality.\(key)",
                        "unknown category; expected one of \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                try unit(score, "\(at).quality.\(key)")
                guard category.backendKind == model.kind || (category == .visionQA && model.kind == .llm) else {
                    throw fail("\(at).quality.\(key)", "a \(model.kind.rawValue) model cannot serve \(key)")
                }
            }
            if model.kind == .llm {
                guard model.contextWindow > 0 else {
                    throw fail("\(at).context_window", "an llm needs a positive context window")
                }
            }
            if model.quality[TaskCategory.visionQA.rawValue] != nil, !model.capabilities.contains(.vision) {
                throw fail("\(at).capabilities", "a model scored for vision-qa must list the vision capability")
            }
            guard !model.tiers.isEmpty else {
                throw fail("\(at).tiers", "lists no tier; no tenant could use the model")
            }
            for (j, tier) in model.tiers.enumerated() where tiers[tier] == nil {
                throw fail("\(at).tiers[\(j)]", "unknown tier \"\(tier)\"")
            }
        }

        // Tiers.
        for name in tiers.keys.sorted() {
            let tier = tiers[name]!
            let at = "tiers.\(name)"
            guard tier.monthlyBudgetMicroUSD >= 0 else {
                throw fail("\(at).monthly_budget_micro_usd", "must not be negative")
            }
            guard tier.defaultStrategy != .explicit else {
                throw fail("\(at).default_strategy", "explicit needs a model hint; use cheapest, fastest or best")
            }
            for (j, id) in (tier.models ?? []).enumerated() {
                guard let model = models.first(where: { $0.id == id }) else {
                    throw fail("\(at).models[\(j)]", "unknown model \"\(id)\"")
                }
                guard model.tiers.contains(name) else {
                    throw fail("\(at).models[\(j)]", "model \"\(id)\" does not list tier \"\(name)\" in its tiers")
                }
            }
            if tier.overBudget == .downgrade {
                guard let downgrade = tier.downgradeModels, !downgrade.isEmpty else {
                    throw fail("\(at).downgrade_models", "is required when over_budget is downgrade")
                }
            }
            for (j, id) in (tier.downgradeModels ?? []).enumerated() {
                guard let model = models.first(where: { $0.id == id }) else {
                    throw fail("\(at).downgrade_models[\(j)]", "unknown model \"\(id)\"")
                }
                guard model.tiers.contains(name) else {
                    throw fail("\(at).downgrade_models[\(j)]", "model \"\(id)\" is not allowed for tier \"\(name)\"")
                }
            }
        }

        // Tenants.
        var tenantIDs = Set<String>()
        for (i, tenant) in tenants.enumerated() {
            guard !tenant.id.isEmpty else { throw fail("tenants[\(i)].id", "must not be empty") }
            guard tenantIDs.insert(tenant.id).inserted else {
                throw fail("tenants[\(i)].id", "duplicate tenant id \"\(tenant.id)\"")
            }
            guard tiers[tenant.tier] != nil else { throw fail("tenants[\(i)].tier", "unknown tier \"\(tenant.tier)\"") }
            if let budget = tenant.monthlyBudgetMicroUSD, budget < 0 {
                throw fail("tenants[\(i)].monthly_budget_micro_usd", "must not be negative")
            }
        }

        // Rules.
        var ruleNames = Set<String>()
        for (i, rule) in rules.enumerated() {
            let at = "rules[\(i)]"
            guard !rule.name.isEmpty else { throw fail("\(at).name", "must not be empty") }
            guard ruleNames.insert(rule.name).inserted else {
                throw fail("\(at).name", "duplicate rule name \"\(rule.name)\"")
            }
            for (j, tier) in (rule.when.tiers ?? []).enumerated() where tiers[tier] == nil {
                throw fail("\(at).when.tiers[\(j)]", "unknown tier \"\(tier)\"")
            }
            for (j, tenant) in (rule.when.tenants ?? []).enumerated() where !tenantIDs.contains(tenant) {
                throw fail("\(at).when.tenants[\(j)]", "unknown tenant \"\(tenant)\"")
            }
            if rule.then.strategy == .explicit {
                throw fail("\(at).then.strategy", "explicit comes only from a model hint")
            }
            if let floor = rule.then.qualityFloor { try unit(floor, "\(at).then.quality_floor") }
            if let latency = rule.then.maxLatencyMs, latency <= 0 {
                throw fail("\(at).then.max_latency_ms", "must be positive")
            }
            if let cost = rule.then.maxCostMicroUSD, cost <= 0 {
                throw fail("\(at).then.max_cost_micro_usd", "must be positive")
            }
            if let count = rule.then.fallbackCount, !(0...10).contains(count) {
                throw fail("\(at).then.fallback_count", "must be within 0...10")
            }
            for (j, id) in (rule.then.models ?? []).enumerated() where !modelIDs.contains(id) {
                throw fail("\(at).then.models[\(j)]", "unknown model \"\(id)\"")
            }
        }
        // Last, so a specific problem in a quality score is reported as that, not as a changed table.
        if let frozen = qualityVersion {
            guard !frozen.id.isEmpty else { throw fail("quality_version.id", "must not be empty") }
            let actual = qualityFingerprint
            guard frozen.fingerprint == actual else {
                throw fail(
                    "quality_version.fnv1a64",
                    "the catalog's quality table changed (fingerprint \(actual), frozen \(frozen.fingerprint)); "
                        + "a new quality table needs a new quality_version.id and fingerprint")
            }
        }
    }

    private func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { i, b in i == 4 || i == 7 || (b >= 48 && b <= 57) }
    }
}
