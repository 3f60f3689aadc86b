import SwitchyardContract

/// Turning selections into the decision document.
extension Router {
    func assemble(
        profile: RequestProfile, tenant: RoutingTable.CompiledTenant, plan: Plan, rule: RoutingRule?,
        strategy: RoutingStrategy,
        limits: Limits, selection: (primary: Selection, vision: Selection?), classification: Classification,
        signals: SignalsSnapshot, downgraded: Bool
    ) -> RouteDecision {
        let primarySelection = selection.primary
        let choices = primarySelection.ranked.map {
            choice(primarySelection.evaluated[$0], latencyCap: limits.latencyCapMs)
        }
        var visionBranch: VisionBranch?
        var estimated = primarySelection.evaluated[primarySelection.ranked[0]].totalCost
        var worst = primarySelection.ranked.map { primarySelection.evaluated[$0].totalCost }.max() ?? 0
        var candidates: [CandidateReport] = []
        candidates.reserveCapacity(table.models.count)
        if let vision = selection.vision {
            let visionChoices = vision.ranked.map { choice(vision.evaluated[$0], latencyCap: limits.latencyCapMs) }
            visionBranch = VisionBranch(primary: visionChoices[0], fallbacks: Array(visionChoices.dropFirst()))
            let visionCost = vision.evaluated[vision.ranked[0]].totalCost
            estimated += visionCost
            worst += vision.ranked.map { vision.evaluated[$0].totalCost }.max() ?? 0
            report(vision.evaluated, into: &candidates)
        }
        report(primarySelection.evaluated, into: &candidates)

        // The ceiling covers a retry or two on the dearest chosen model, within the hard limits.
        var ceiling = Int64((Double(worst) * table.policy.defaults.costCeilingMultiplier).rounded(.up))
        if let cap = minimum(profile.hints.maxCostMicroUSD, rule?.then.maxCostMicroUSD) { ceiling = min(ceiling, cap) }
        if !downgraded, let remaining = signals.monthToDateSpendMicroUSD.map({ tenant.monthlyBudgetMicroUSD - $0 }) {
            ceiling = min(ceiling, remaining)
        }
        ceiling = max(ceiling, estimated)

        let spent = signals.monthToDateSpendMicroUSD
        let budget = BudgetStatus(
            monthlyBudgetMicroUSD: tenant.monthlyBudgetMicroUSD, monthToDateMicroUSD: spent,
            remainingMicroUSD: spent.map { tenant.monthlyBudgetMicroUSD - $0 }, downgraded: downgraded,
            note: downgraded
                ? "over budget: downgraded to \(tenant.tier.spec.downgradeModels?.joined(separator: ", ") ?? "")"
                : signals.note ?? (spent == nil ? "no spend data; budget not enforced" : nil))

        let primary = choices[0]
        var batch: BatchPlan?
        if plan.backend == .batch {
            batch = BatchPlan(
                items: profile.batchCount, itemBackend: plan.role,
                maxConcurrency: table.policy.defaults.batchMaxConcurrency)
        }
        var explanation =
            "\(tenant.tier.name) tier, \(classification.category.rawValue)/\(classification.difficulty.rawValue) by \(classification.classifier)"
        explanation += rule.map { ", rule \($0.name)" } ?? ", tier default"
        explanation += ": \(strategy.rawValue) → \(primary.model) (\(primary.provider.rawValue))"
        if let vision = visionBranch { explanation += " + \(vision.primary.model) in parallel" }
        explanation += ", est. \(formatUSD(estimated)), ~\(primary.estimatedLatencyMs) ms"
        if choices.count > 1 {
            explanation += "; fallbacks " + choices.dropFirst().map(\.model).joined(separator: ", ")
        }
        if primarySelection.relaxed {
            explanation += "; no allowed model met quality floor \(limits.floor), best available chosen"
        }
        if downgraded { explanation += "; tenant over budget, downgraded" }

        return RouteDecision(
            requestID: profile.requestID, tenantID: profile.tenantID, tier: tenant.tier.name,
            policyID: table.policy.policyID,
            backend: plan.backend, strategy: strategy, primary: primary, fallbacks: Array(choices.dropFirst()),
            vision: visionBranch,
            batch: batch, attemptTimeoutMs: primary.attemptTimeoutMs, costCeilingMicroUSD: ceiling,
            estimatedCostMicroUSD: estimated,
            matchedRule: rule?.name, qualityFloor: limits.floor, qualityFloorRelaxed: primarySelection.relaxed,
            classification: classification, budget: budget, candidates: candidates, explanation: explanation)
    }

    private func choice(_ e: Evaluated, latencyCap: Int?) -> ModelChoice {
        let model = table.models[e.model]
        return ModelChoice(
            model: model.id, provider: model.provider, providerModel: model.providerModel ?? model.id,
            endpoint: model.endpoint,
            kind: model.kind, estimatedCostMicroUSD: e.totalCost, estimatedLatencyMs: e.estimate.latencyP50Ms,
            attemptTimeoutMs: table.attemptTimeout(p95Ms: e.estimate.latencyP95Ms, latencyCapMs: latencyCap))
    }

    private func report(_ evaluated: [Evaluated], into candidates: inout [CandidateReport]) {
        for e in evaluated {
            let model = table.cores[e.model]
            let eligible = e.rejection == nil || e.rejection == .notExplicitModel
            candidates.append(
                CandidateReport(
                    model: table.ids[e.model], provider: model.provider, role: e.role,
                    quality: e.quality >= 0 ? e.quality : nil,
                    estimatedCostMicroUSD: e.totalCost, estimatedLatencyMs: e.estimate.latencyP50Ms,
                    score: eligible || e.selected != .none ? (e.score * 1_000_000).rounded() / 1_000_000 : nil,
                    selected: e.selected == .primary ? "primary" : (e.selected == .fallback ? "fallback" : nil),
                    rejected: e.rejection))
        }
    }
}
