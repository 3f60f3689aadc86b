import SwitchyardContract
import SwitchyardCore

/// Semantic checks the decoder cannot make: references between sections, ranges, uniqueness.
///
/// Every number is range-checked here, once, so the arithmetic done with it per request (token
/// times rate, latency times multiplier) stays within range without per-request checks.
/// References to catalog models are checked by `RoutingBundle`, which sees the catalog.
extension RoutingPolicy {
    /// - Throws: the first problem found, as `PolicyError.invalid` with the field's path.
    public func validate() throws(PolicyError) {
        func fail(_ path: String, _ problem: String) -> PolicyError { .invalid(path: path, problem: problem) }
        func unit(_ value: Double, _ path: String) throws(PolicyError) {
            guard value >= 0, value <= 1 else { throw fail(path, "\(value) is outside 0...1") }
        }
        func positiveUnit(_ value: Double, _ path: String) throws(PolicyError) {
            guard value > 0, value <= 1 else { throw fail(path, "\(value) is outside (0, 1]") }
        }
        func within(_ value: Int, _ range: ClosedRange<Int>, _ path: String) throws(PolicyError) {
            guard range.contains(value) else {
                throw fail(path, "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }
        func within(_ value: Double, _ range: ClosedRange<Double>, _ path: String) throws(PolicyError) {
            guard range.contains(value) else {
                throw fail(path, "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
        }

        guard !policyID.isEmpty, Identifier.isValid(policyID, maxBytes: 128) else {
            throw fail("policyId", "must be 1...128 bytes without control characters")
        }
        guard isDate(effectiveFrom) else {
            throw fail("effectiveFrom", "\"\(effectiveFrom.prefix(40))\" is not a YYYY-MM-DD date")
        }
        guard !tiers.isEmpty else { throw fail("tiers", "no tiers are defined") }

        // Limits first: the defaults are checked against them.
        try within(limits.maxPromptBytes, 1...(64 << 20), "limits.maxPromptBytes")
        try within(limits.maxImages, 0...1000, "limits.maxImages")
        try within(limits.maxImageBytes, 1...(64 << 20), "limits.maxImageBytes")
        try within(limits.maxBatchItems, 0...100_000, "limits.maxBatchItems")
        try within(limits.maxOutputTokens, 1...10_000_000, "limits.maxOutputTokens")
        guard !limits.imageMediaTypes.isEmpty else { throw fail("limits.imageMediaTypes", "must not be empty") }
        for (i, type) in limits.imageMediaTypes.enumerated() where ImageFormat(mediaType: type) == nil {
            throw fail("limits.imageMediaTypes[\(i)]", "\"\(type.prefix(40))\" is not an image media type")
        }

        // Defaults.
        try unit(defaults.qualityFloor.easy, "defaults.qualityFloor.easy")
        try unit(defaults.qualityFloor.medium, "defaults.qualityFloor.medium")
        try unit(defaults.qualityFloor.hard, "defaults.qualityFloor.hard")
        try unit(defaults.maxErrorRate, "defaults.maxErrorRate")
        for (key, tokens) in defaults.outputTokens {
            guard key == "default" || TaskCategory(rawValue: key) != nil else {
                throw fail(
                    "defaults.outputTokens.\(key)",
                    "unknown category; expected one of "
                        + TaskCategory.allCases.map(\.rawValue).joinedText(separator: ", ") + " or default"
                )
            }
            try within(tokens, 1...limits.maxOutputTokens, "defaults.outputTokens.\(key)")
        }
        guard defaults.outputTokens["default"] != nil else {
            throw fail("defaults.outputTokens.default", "is required")
        }
        try within(defaults.fallbackCount, 0...10, "defaults.fallbackCount")
        try within(defaults.attemptTimeout.multiplier, 1...100, "defaults.attemptTimeout.multiplier")
        try within(defaults.attemptTimeout.maxMs, 1...3_600_000, "defaults.attemptTimeout.maxMs")
        try within(defaults.attemptTimeout.minMs, 1...defaults.attemptTimeout.maxMs, "defaults.attemptTimeout.minMs")
        try within(defaults.costCeilingMultiplier, 1...100, "defaults.costCeilingMultiplier")
        try within(defaults.minLatencySamples, 0...1_000_000_000, "defaults.minLatencySamples")
        try within(defaults.batchMaxConcurrency, 1...10_000, "defaults.batchMaxConcurrency")
        if let detectors = defaults.batchMaxDetectorConcurrency {
            try within(detectors, 1...10_000, "defaults.batchMaxDetectorConcurrency")
        }
        try within(defaults.batchMaxInlineItems, 1...100_000, "defaults.batchMaxInlineItems")
        // Step Functions' state limit bounds what an inline Map may return.
        try within(defaults.batchMaxInlineResultBytes, 1...262_144, "defaults.batchMaxInlineResultBytes")
        try positiveUnit(defaults.detection.confidenceThreshold, "defaults.detection.confidenceThreshold")
        try positiveUnit(defaults.detection.iouThreshold, "defaults.detection.iouThreshold")
        try within(defaults.detection.maxDetections, 1...10_000, "defaults.detection.maxDetections")

        // Classifier (snake_case paths: the section keeps its keys, see `keySchema`).
        try unit(classifier.confidenceThreshold, "classifier.confidence_threshold")
        try within(classifier.timeoutMs, 1...60_000, "classifier.timeout_ms")
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

        // Tiers (their model lists are checked against the catalog by `RoutingBundle`).
        for name in tiers.keys.sorted() {
            let tier = tiers[name]!
            let at = "tiers.\(name)"
            guard Identifier.isValid(name, maxBytes: 64) else { throw fail(at, "tier names are 1...64 bytes") }
            guard tier.monthlyBudget >= .zero else { throw fail("\(at).monthlyBudgetUSD", "must not be negative") }
            guard tier.defaultStrategy != .explicit else {
                throw fail("\(at).defaultStrategy", "explicit needs a model hint; use cheapest, fastest or best")
            }
            if tier.overBudget == .downgrade {
                guard let downgrade = tier.downgradeModels, !downgrade.isEmpty else {
                    throw fail("\(at).downgradeModels", "is required when overBudget is downgrade")
                }
            }
        }

        // Tenants.
        var tenantIDs = Set<String>()
        for (i, tenant) in tenants.enumerated() {
            guard Identifier.isValid(tenant.id) else {
                throw fail("tenants[\(i)].id", "must be 1...256 bytes without control characters")
            }
            guard tenantIDs.insert(tenant.id).inserted else {
                throw fail("tenants[\(i)].id", "duplicate tenant id \"\(tenant.id)\"")
            }
            guard tiers[tenant.tier] != nil else {
                throw fail("tenants[\(i)].tier", "unknown tier \"\(tenant.tier.prefix(60))\"")
            }
            if let budget = tenant.monthlyBudget, budget < .zero {
                throw fail("tenants[\(i)].monthlyBudgetUSD", "must not be negative")
            }
        }

        // Rules.
        var ruleNames = Set<String>()
        for (i, rule) in rules.enumerated() {
            let at = "rules[\(i)]"
            guard Identifier.isValid(rule.name, maxBytes: 128) else {
                throw fail("\(at).name", "must be 1...128 bytes without control characters")
            }
            guard ruleNames.insert(rule.name).inserted else {
                throw fail("\(at).name", "duplicate rule name \"\(rule.name)\"")
            }
            for (j, tier) in (rule.when.tiers ?? []).enumerated() where tiers[tier] == nil {
                throw fail("\(at).when.tiers[\(j)]", "unknown tier \"\(tier.prefix(60))\"")
            }
            for (j, tenant) in (rule.when.tenants ?? []).enumerated() where !tenantIDs.contains(tenant) {
                throw fail("\(at).when.tenants[\(j)]", "unknown tenant \"\(tenant.prefix(60))\"")
            }
            if rule.then.strategy == .explicit {
                throw fail("\(at).then.strategy", "explicit comes only from a model hint")
            }
            if let floor = rule.then.qualityFloor { try unit(floor, "\(at).then.qualityFloor") }
            if let latency = rule.then.maxLatencyMs { try within(latency, 1...3_600_000, "\(at).then.maxLatencyMs") }
            if let cost = rule.then.maxCost, cost <= .zero {
                throw fail("\(at).then.maxCostUSD", "must be positive")
            }
            if let count = rule.then.fallbackCount { try within(count, 0...10, "\(at).then.fallbackCount") }
        }
        try retrieval?.validate()
    }

    private func isDate(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-") else { return false }
        return bytes.enumerated().allSatisfy { i, b in i == 4 || i == 7 || (b >= 48 && b <= 57) }
    }
}
