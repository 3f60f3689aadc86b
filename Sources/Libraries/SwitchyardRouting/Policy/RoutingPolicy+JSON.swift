import SwitchyardContract
import SwitchyardJSON

// The policy read straight from the parsed document (`JSONFields`), without `Decodable`: each
// type's fields in the order, with the defaults and the error texts, of the Codable decode they
// replace, so a bad policy is reported exactly as before.

extension RoutingPolicy {
    /// The policy document's fields; `description` is allowed and not read.
    public enum Field: String, CaseIterable, Sendable {
        case version, policyId, effectiveFrom, defaults, limits, classifier, tiers, tenants, rules, retrieval
    }

    /// Reads a policy whose `version` `parse` has already checked.
    /// - Throws: `JSONWalkError` at the failing field's path.
    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        let version = try f.required(.version, JSONRead.int)
        guard version == Self.supportedVersion else {
            throw JSONWalkError(
                path: [.key(Field.version.rawValue)],
                problem: "version \(version) is not supported; this router reads version \(Self.supportedVersion)")
        }
        self.init(
            version: version, policyID: try f.required(.policyId, JSONRead.string),
            effectiveFrom: try f.required(.effectiveFrom, JSONRead.string),
            defaults: try f.optional(.defaults, PolicyDefaults.init(json:)) ?? PolicyDefaults(),
            limits: try f.optional(.limits, PolicyLimits.init(json:)) ?? PolicyLimits(),
            classifier: try f.optional(.classifier, ClassifierSettings.init(json:)) ?? ClassifierSettings(),
            tiers: try f.required(.tiers) { j throws(JSONWalkError) in try JSONRead.map(j, TierSpec.init(json:)) },
            tenants: try f.required(.tenants) { j throws(JSONWalkError) in
                try JSONRead.array(j, TenantSpec.init(json:))
            },
            rules: try f.optional(.rules) { j throws(JSONWalkError) in try JSONRead.array(j, RoutingRule.init(json:)) }
                ?? [])
        retrieval = try f.optional(.retrieval, RetrievalPolicy.init(json:))
    }
}

extension PolicyDefaults {
    public enum Field: String, CaseIterable, Sendable {
        case qualityFloor, outputTokens, fallbackCount, attemptTimeout, costCeilingMultiplier, maxErrorRate
        case minLatencySamples, relaxQualityFloor, batchMaxConcurrency, batchMaxDetectorConcurrency
        case batchMaxInlineItems, batchMaxInlineResultBytes, detection
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        // Codable's order: the properties' declaration order (batchMaxDetectorConcurrency before
        // batchMaxInlineItems), not the init's parameter order.
        let qualityFloor = try f.required(.qualityFloor, QualityFloors.init(json:))
        let outputTokens = try f.required(.outputTokens) { j throws(JSONWalkError) in try JSONRead.map(j, JSONRead.int)
        }
        let fallbackCount = try f.required(.fallbackCount, JSONRead.int)
        let attemptTimeout = try f.required(.attemptTimeout, AttemptTimeout.init(json:))
        let costCeilingMultiplier = try f.required(.costCeilingMultiplier, JSONRead.double)
        let maxErrorRate = try f.required(.maxErrorRate, JSONRead.double)
        let minLatencySamples = try f.required(.minLatencySamples, JSONRead.int)
        let relaxQualityFloor = try f.required(.relaxQualityFloor, JSONRead.bool)
        let batchMaxConcurrency = try f.required(.batchMaxConcurrency, JSONRead.int)
        let batchMaxDetectorConcurrency = try f.optional(.batchMaxDetectorConcurrency, JSONRead.int)
        let batchMaxInlineItems = try f.required(.batchMaxInlineItems, JSONRead.int)
        let batchMaxInlineResultBytes = try f.required(.batchMaxInlineResultBytes, JSONRead.int)
        let detection = try f.required(.detection, DetectionDefaults.init(json:))
        self.init(
            qualityFloor: qualityFloor, outputTokens: outputTokens, fallbackCount: fallbackCount,
            attemptTimeout: attemptTimeout, costCeilingMultiplier: costCeilingMultiplier, maxErrorRate: maxErrorRate,
            minLatencySamples: minLatencySamples, relaxQualityFloor: relaxQualityFloor,
            batchMaxConcurrency: batchMaxConcurrency, batchMaxInlineItems: batchMaxInlineItems,
            batchMaxInlineResultBytes: batchMaxInlineResultBytes, detection: detection,
            batchMaxDetectorConcurrency: batchMaxDetectorConcurrency)
    }
}

extension QualityFloors {
    public enum Field: String, CaseIterable, Sendable { case easy, medium, hard }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            easy: try f.required(.easy, JSONRead.double), medium: try f.required(.medium, JSONRead.double),
            hard: try f.required(.hard, JSONRead.double))
    }
}

extension AttemptTimeout {
    public enum Field: String, CaseIterable, Sendable { case multiplier, minMs, maxMs }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            multiplier: try f.required(.multiplier, JSONRead.double), minMs: try f.required(.minMs, JSONRead.int),
            maxMs: try f.required(.maxMs, JSONRead.int))
    }
}

extension DetectionDefaults {
    public enum Field: String, CaseIterable, Sendable { case confidenceThreshold, iouThreshold, maxDetections }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            confidenceThreshold: try f.required(.confidenceThreshold, JSONRead.double),
            iouThreshold: try f.required(.iouThreshold, JSONRead.double),
            maxDetections: try f.required(.maxDetections, JSONRead.int))
    }
}

extension PolicyLimits {
    public enum Field: String, CaseIterable, Sendable {
        case maxPromptBytes, maxImages, maxImageBytes, maxBatchItems, maxOutputTokens, imageMediaTypes
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            maxPromptBytes: try f.required(.maxPromptBytes, JSONRead.int),
            maxImages: try f.required(.maxImages, JSONRead.int),
            maxImageBytes: try f.required(.maxImageBytes, JSONRead.int),
            maxBatchItems: try f.required(.maxBatchItems, JSONRead.int),
            maxOutputTokens: try f.required(.maxOutputTokens, JSONRead.int),
            imageMediaTypes: try f.required(.imageMediaTypes) { j throws(JSONWalkError) in
                try JSONRead.array(j, JSONRead.string)
            })
    }
}

extension ClassifierSettings {
    /// snake_case until the classifier's owner converts the section (RoutingPolicy+Keys).
    public enum Field: String, CaseIterable, Sendable {
        case mode, model, learned
        case baseURL = "base_url"
        case timeoutMs = "timeout_ms"
        case confidenceThreshold = "confidence_threshold"
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            mode: try f.required(.mode) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            model: try f.optional(.model, JSONRead.string), baseURL: try f.optional(.baseURL, JSONRead.string),
            timeoutMs: try f.required(.timeoutMs, JSONRead.int),
            confidenceThreshold: try f.required(.confidenceThreshold, JSONRead.double),
            learned: try f.optional(.learned, LearnedClassifierSettings.init(json:)))
    }
}

extension LearnedClassifierSettings {
    public enum Field: String, CaseIterable, Sendable { case file, version }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(file: try f.required(.file, JSONRead.string), version: try f.required(.version, JSONRead.string))
    }
}

extension TierSpec {
    public enum Field: String, CaseIterable, Sendable {
        case models, monthlyBudgetUSD, defaultStrategy, overBudget, downgradeModels, classifier
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            models: try f.optional(.models, Self.modelIDs),
            monthlyBudget: try f.required(.monthlyBudgetUSD, USDAmount.read),
            defaultStrategy: try f.required(.defaultStrategy) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            overBudget: try f.required(.overBudget) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            downgradeModels: try f.optional(.downgradeModels, Self.modelIDs),
            classifier: try f.optional(.classifier) { j throws(JSONWalkError) in try JSONRead.rawValue(j) })
    }

    static func modelIDs(_ json: JSON) throws(JSONWalkError) -> [ModelID] {
        try JSONRead.array(json, ModelID.init(json:))
    }
}

extension TenantSpec {
    public enum Field: String, CaseIterable, Sendable { case id, tier, monthlyBudgetUSD }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            id: try f.required(.id, JSONRead.string), tier: try f.required(.tier, JSONRead.string),
            monthlyBudget: try f.optional(.monthlyBudgetUSD, USDAmount.read))
    }
}

extension RoutingRule {
    public enum Field: String, CaseIterable, Sendable { case name, when, then }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            name: try f.required(.name, JSONRead.string), when: try f.required(.when, RuleCondition.init(json:)),
            then: try f.required(.then, RuleAction.init(json:)))
    }
}

extension RuleCondition {
    public enum Field: String, CaseIterable, Sendable {
        case modalities, categories, difficulties, tiers, tenants, routes, tags, uncertain
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        func strings(_ j: JSON) throws(JSONWalkError) -> [String] { try JSONRead.array(j, JSONRead.string) }
        self.init(
            modalities: try f.optional(.modalities) { j throws(JSONWalkError) in
                try JSONRead.array(j) { e throws(JSONWalkError) in try JSONRead.rawValue(e) }
            },
            categories: try f.optional(.categories) { j throws(JSONWalkError) in
                try JSONRead.array(j) { e throws(JSONWalkError) in try JSONRead.rawValue(e) }
            },
            difficulties: try f.optional(.difficulties) { j throws(JSONWalkError) in
                try JSONRead.array(j) { e throws(JSONWalkError) in try JSONRead.rawValue(e) }
            },
            tiers: try f.optional(.tiers, strings), tenants: try f.optional(.tenants, strings),
            routes: try f.optional(.routes) { j throws(JSONWalkError) in
                try JSONRead.array(j) { e throws(JSONWalkError) in try JSONRead.rawValue(e) }
            },
            tags: try f.optional(.tags, strings), uncertain: try f.optional(.uncertain, JSONRead.bool))
    }
}

extension RuleAction {
    public enum Field: String, CaseIterable, Sendable {
        case strategy, qualityFloor, maxLatencyMs, maxCostUSD, models, fallbackCount, lockStrategy
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            strategy: try f.optional(.strategy) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            qualityFloor: try f.optional(.qualityFloor, JSONRead.double),
            maxLatencyMs: try f.optional(.maxLatencyMs, JSONRead.int),
            maxCost: try f.optional(.maxCostUSD, USDAmount.read), models: try f.optional(.models, TierSpec.modelIDs),
            fallbackCount: try f.optional(.fallbackCount, JSONRead.int),
            lockStrategy: try f.optional(.lockStrategy, JSONRead.bool))
    }
}

extension RetrievalPolicy {
    public enum Field: String, CaseIterable, Sendable {
        case embeddingModel, passageModel, topK, tokensPerSource, rules
    }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            embeddingModel: try f.required(.embeddingModel, ModelID.init(json:)),
            passageModel: try f.optional(.passageModel, ModelID.init(json:)),
            topK: try f.optional(.topK, JSONRead.int) ?? 5,
            tokensPerSource: try f.optional(.tokensPerSource, JSONRead.int) ?? 320,
            rules: try f.required(.rules) { j throws(JSONWalkError) in try JSONRead.array(j, RetrievalRule.init(json:))
            })
    }
}

extension RetrievalRule {
    public enum Field: String, CaseIterable, Sendable { case name, when, collection, topK }

    init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            name: try f.required(.name, JSONRead.string), when: try f.required(.when, RuleCondition.init(json:)),
            collection: try f.optional(.collection, JSONRead.string), topK: try f.optional(.topK, JSONRead.int))
    }
}

extension QualityVersion {
    public enum Field: String, CaseIterable, Sendable { case id, fnv1a64 }

    public init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(id: try f.required(.id, JSONRead.string), fingerprint: try f.required(.fnv1a64, JSONRead.string))
    }
}

extension USDAmount {
    /// A decimal USD string, exactly (`"5.00"`): numbers are refused, they would pass through floating point.
    static func read(_ json: JSON) throws(JSONWalkError) -> PicoUSD {
        let text = try JSONRead.string(json)
        guard let amount = PicoUSD(decimal: text) else {
            throw .invalid("\"\(text.prefix(40))\" is not a decimal USD amount (digits, at most 12 after the point)")
        }
        return amount
    }
}
