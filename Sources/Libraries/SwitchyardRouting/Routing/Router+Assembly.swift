import SwitchyardContract

/// Turning selections into the decision document: the plans the next states run, the cost
/// ceiling, the budget, the usage context and the candidate report.
extension Router {
    func assemble(profile: RequestProfile, routed: Routed, signals: SignalsSnapshot) throws(RouterError)
        -> RouteDecision
    {
        let (tenant, plan, rule, strategy, limits, selection, retrieval, classification, downgraded) = (
            routed.tenant, routed.plan, routed.rule, routed.strategy, routed.limits, routed.selection,
            routed.retrieval, routed.classification, routed.downgraded
        )
        let primary = selection.primary
        let latencyCap = limits.latencyCapMs
        let (estimated, ceiling) = try costFigures(routed)
        var candidates: [CandidateReport] = []
        candidates.reserveCapacity(table.models.count)
        let texts = ReportTexts(tier: tenant.tier, rule: rule)

        var llm: LLMPlan?
        var vision: VisionPlan?
        var embedding: EmbeddingPlan?
        if let detector = selection.vision {
            vision = visionPlan(detector, profile: profile, latencyCap: latencyCap)
            report(detector, category: .detection, texts: texts, into: &candidates)
        }
        report(primary, category: plan.category, texts: texts, into: &candidates)
        switch plan.role {
        case .llm:
            llm = LLMPlan(
                candidates: primary.ranked.map { llmCandidate(primary.evaluated[$0], latencyCap: latencyCap) },
                maxOutputTokens: primary.evaluated[primary.ranked[0]].outputTokens,
                groundWithDetections: plan.route == .visionLLM)
        case .vision:
            vision = visionPlan(primary, profile: profile, latencyCap: latencyCap)
        case .embedding:
            embedding = EmbeddingPlan(
                candidates: primary.ranked.map { llmCandidate(primary.evaluated[$0], latencyCap: latencyCap) })
        }
        var batch: BatchPlan?
        if plan.route == .batch {
            let defaults = table.policy.defaults
            batch = BatchPlan(
                items: profile.batchItems, itemRoute: plan.role == .vision ? .vision : .llm,
                maxConcurrency: plan.role == .vision
                    ? defaults.batchMaxDetectorConcurrency ?? defaults.batchMaxConcurrency
                    : defaults.batchMaxConcurrency,
                inline: profile.batchCount <= defaults.batchMaxInlineItems,
                maxInlineItems: defaults.batchMaxInlineItems, maxInlineResultBytes: defaults.batchMaxInlineResultBytes)
        }

        let spent = signals.monthToDateSpend
        let budget = BudgetStatus(
            monthlyBudgetPicoUSD: tenant.monthlyBudget, monthToDatePicoUSD: spent,
            remainingPicoUSD: spent.map { PicoUSD(tenant.monthlyBudget.rawValue - $0.rawValue) },
            downgraded: downgraded, spendStalenessMs: signals.spendStalenessMs,
            note: downgraded
                ? "over budget: downgraded to \(tenant.tier.downgradeList)"
                : signals.note ?? (spent == nil ? "no spend data; budget not enforced" : nil))

        let chosen = primary.evaluated[primary.ranked[0]]
        let chosenID = table.ids[chosen.model]
        var explanation = ""
        explanation.reserveCapacity(256)
        explanation += "\(tenant.tier.name) tier, \(classification.category.rawValue)/"
        explanation += "\(classification.difficulty.rawValue) by \(classification.classifier)"
        explanation += rule.map { ", rule \($0.name)" } ?? ", tier default"
        explanation += ": \(strategy.rawValue) → \(chosenID) (\(table.cores[chosen.model].provider.rawValue))"
        if let detector = selection.vision {
            explanation += " + \(table.ids[detector.evaluated[detector.ranked[0]].model])"
        }
        explanation += ", est. $\(USDAmount.text(estimated)), ~\(chosen.estimate.latencyP50Ms) ms"
        if primary.ranked.count > 1 {
            explanation += "; fallbacks "
            explanation += primary.ranked.dropFirst().map { table.ids[primary.evaluated[$0].model].rawValue }.joined(
                separator: ", ")
        }
        if primary.relaxed {
            explanation += "; no allowed model met quality floor \(limits.floor), best available chosen"
        }
        if downgraded { explanation += "; tenant over budget, downgraded" }

        if let retrieval { explanation += "; retrieval from \(retrieval.collection) (top \(retrieval.topK))" }

        var summary = "\(plan.route.rawValue) \(strategy.rawValue)"
        if let rule { summary += " rule=\(rule.name)" }
        if downgraded { summary += " downgraded" }
        let context = UsageContext(
            requestID: profile.requestID, tenantID: profile.tenantID, user: profile.user, tier: tenant.tier.name,
            route: summary, category: classification.category, difficulty: classification.difficulty,
            hints: profile.rawHints, estimatedCostPicoUSD: estimated, bundleVersion: table.bundleVersion)

        return RouteDecision(
            requestID: profile.requestID, tenantID: profile.tenantID, tier: tenant.tier.name,
            bundleVersion: table.bundleVersion, route: plan.route, strategy: strategy, llm: llm, vision: vision,
            batch: batch, embedding: embedding, retrieval: retrieval, costCeilingPicoUSD: ceiling,
            estimatedCostPicoUSD: estimated,
            matchedRule: rule?.name, qualityFloor: limits.floor, qualityFloorRelaxed: primary.relaxed,
            classification: classification, budget: budget, candidates: candidates, explanation: explanation,
            context: context)
    }

    /// The decision's estimated cost and its ceiling (`decide` and `choose` both check them: a
    /// figure out of range refuses the request).
    func costFigures(_ routed: Routed) throws(RouterError) -> (estimated: PicoUSD, ceiling: PicoUSD) {
        let primary = routed.selection.primary
        let limits = routed.limits
        // Totals are sums of at most three in-range estimates and are checked.
        func sum(_ a: PicoUSD, _ b: PicoUSD) throws(RouterError) -> PicoUSD {
            do { return try a.adding(b) } catch {
                throw .promptTooLarge("the estimated cost is beyond the representable range")
            }
        }
        var estimated = primary.evaluated[primary.ranked[0]].totalCost
        var worst = primary.ranked.map { primary.evaluated[$0].totalCost }.max() ?? .zero
        if let embedding = routed.retrieval?.estimatedCostPicoUSD {
            // The question's embedding is billed once, before the LLM call and its retries.
            estimated = try sum(estimated, embedding)
            worst = try sum(worst, embedding)
        }
        if let detector = routed.selection.vision {
            estimated = try sum(estimated, detector.evaluated[detector.ranked[0]].totalCost)
            worst = try sum(worst, detector.ranked.map { detector.evaluated[$0].totalCost }.max() ?? .zero)
        }
        // The ceiling covers a retry or two on the dearest chosen model, within the hard limits.
        let scaled = (Double(worst.rawValue) * table.policy.defaults.costCeilingMultiplier).rounded(.up)
        guard scaled < 9.2e18 else { throw .promptTooLarge("the cost ceiling is beyond the representable range") }
        var ceiling = PicoUSD(Int64(scaled))
        if let cap = limits.costCap { ceiling = min(ceiling, cap) }
        if !routed.downgraded, let remaining = limits.remaining { ceiling = min(ceiling, remaining) }
        return (estimated, max(ceiling, estimated))
    }

    /// One LLM (or embedding) call as the plan names it: catalog id and limits, the per-call estimate.
    private func llmCandidate(_ e: Evaluated, latencyCap: Int?) -> LLMCandidate {
        let core = table.cores[e.model]
        return LLMCandidate(
            model: table.ids[e.model],
            attemptTimeoutMs: table.attemptTimeout(p95Ms: e.estimate.latencyP95Ms, latencyCapMs: latencyCap),
            contextWindow: core.contextWindow, maxOutputTokens: table.models[e.model].maxOutputTokens,
            estimatedCostPicoUSD: e.estimate.cost ?? .zero, estimatedLatencyMs: e.estimate.latencyP50Ms)
    }

    /// The detectors in order, with the detection settings from the hints, else the policy.
    private func visionPlan(_ selection: Selection, profile: RequestProfile, latencyCap: Int?) -> VisionPlan {
        let defaults = table.policy.defaults.detection
        let hints = profile.hints
        return VisionPlan(
            candidates: selection.ranked.map {
                let e = selection.evaluated[$0]
                return VisionCandidate(
                    model: table.ids[e.model],
                    attemptTimeoutMs: table.attemptTimeout(p95Ms: e.estimate.latencyP95Ms, latencyCapMs: latencyCap),
                    estimatedCostPicoUSD: e.estimate.cost ?? .zero, estimatedLatencyMs: e.estimate.latencyP50Ms)
            },
            confidenceThreshold: hints.confidenceThreshold ?? defaults.confidenceThreshold,
            iouThreshold: hints.iouThreshold ?? defaults.iouThreshold,
            maxDetections: min(hints.maxDetections ?? defaults.maxDetections, inlineDetectionCap(profile)))
    }

    /// Detections per image an inline batch may return: the Map's results must stay within the
    /// policy's `batchMaxInlineResultBytes` (the state limit; past it the execution fails with
    /// States.DataLimitExceeded and nothing is answered). A detection is at most ~150 bytes of
    /// JSON and an item's envelope (usage record, timings) under 4 KiB; both rounded up.
    private func inlineDetectionCap(_ profile: RequestProfile) -> Int {
        let defaults = table.policy.defaults
        guard !profile.batchItems.isEmpty, profile.batchCount <= defaults.batchMaxInlineItems else { return .max }
        let bytesPerDetection = 192
        let bytesPerItem = 4096
        let images = max(1, profile.batchItems.reduce(0) { $0 + ($1.images?.count ?? 0) })
        let room = defaults.batchMaxInlineResultBytes - profile.batchItems.count * bytesPerItem
        return max(1, room / images / bytesPerDetection)
    }

    /// What every rejection sentence of one decision shares.
    private struct ReportTexts {
        var tier: RoutingTable.CompiledTier
        var rule: RoutingRule?
    }

    private func report(
        _ selection: Selection, category: TaskCategory, texts: ReportTexts, into candidates: inout [CandidateReport]
    ) {
        for e in selection.evaluated {
            let model = table.cores[e.model]
            let eligible = e.rejection == nil || e.rejection == .notExplicitModel
            candidates.append(
                CandidateReport(
                    model: table.ids[e.model], provider: model.provider, role: e.role,
                    quality: e.quality >= 0 ? e.quality : nil, estimatedCostPicoUSD: e.totalCost,
                    estimatedLatencyMs: e.estimate.latencyP50Ms,
                    score: eligible || e.selected != .none ? (e.score * 1_000_000).rounded() / 1_000_000 : nil,
                    selected: e.selected == .primary ? "primary" : (e.selected == .fallback ? "fallback" : nil),
                    rejected: e.rejection.map {
                        table.text(for: $0, model: e.model, category: category, tier: texts.tier, rule: texts.rule)
                    }))
        }
    }
}

extension RouteDecision {
    /// The decision for a refused request: `route: rejected` with the error as `rejection`, so the
    /// state machine's Choice sends it to a logged refusal.
    ///
    /// - Parameters:
    ///   - tier: the tenant's tier, or "" when the tenant is unknown.
    public static func rejected(
        _ request: InferenceRequest, error: RouterError, tier: String?, bundleVersion: String
    ) -> RouteDecision {
        let rejection = error.stepError
        let context = UsageContext(
            requestID: request.requestID, tenantID: request.tenantID, user: request.user, tier: tier,
            route: "rejected \(rejection.errorType)", hints: request.hints.flatMap { $0.isEmpty ? nil : $0 },
            estimatedCostPicoUSD: .zero, bundleVersion: bundleVersion)
        return RouteDecision(
            requestID: request.requestID, tenantID: request.tenantID, tier: tier ?? "", bundleVersion: bundleVersion,
            route: .rejected, strategy: nil, rejection: rejection,
            explanation: "rejected: \(rejection.errorType): \(rejection.errorMessage)", context: context)
    }
}
