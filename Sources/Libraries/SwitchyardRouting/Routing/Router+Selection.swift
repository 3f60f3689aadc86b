import SwitchyardContract
import SwitchyardCore

/// Candidate evaluation and ordering: the part of a decision that runs once per model.
extension Router {
    /// One model as weighed for one selection.
    struct Evaluated {
        var model: Int
        var role: BackendKind
        var quality: Double
        var estimate: CallEstimate
        /// Output tokens this model would be asked for: the request's (or the category's
        /// default), capped at the model's own limit.
        var outputTokens: Int
        /// Cost of the whole request on this model (all batch items); zero when out of range
        /// (the model is then rejected with `.estimateOutOfRange`).
        var totalCost: PicoUSD
        var errorRate: Double
        var rejection: Rejection?
        /// Lower is better; the strategy's objective adjusted for error rate.
        var key: (Double, Double, Double) = (0, 0, 0)
        var score: Double = 0
        var selected: Pick = .none
    }

    enum Pick { case none, primary, fallback }

    /// The outcome of one selection: ranked choices plus every candidate's evaluation.
    struct Selection {
        var ranked: [Int]  // indexes into `evaluated`, primary first
        var evaluated: [Evaluated]
        var relaxed: Bool
    }

    enum SelectionFailure: Error {
        /// Every model that fits is over the tenant's remaining budget.
        case budget
        case error(RouterError)
        case none(summary: String)

        var routerError: RouterError {
            switch self {
            case .budget: .noEligibleModel("every fitting model exceeds the remaining budget")
            case .error(let error): error
            case .none(let summary): .noEligibleModel(summary)
            }
        }
    }

    /// What every selection of one decision shares.
    struct SelectionContext {
        var profile: RequestProfile
        var tier: RoutingTable.CompiledTier
        var rule: RoutingRule?
        var strategy: RoutingStrategy
        var explicit: Int?
        var limits: Limits
        var downgraded: Bool
        /// Live health by catalog index; empty when there is none.
        var health: [ModelHealth?]
    }

    /// What one selection picks: a role, the category its quality is judged on, what it needs.
    struct SelectionTarget {
        var role: BackendKind
        var category: TaskCategory
        var needsVision: Bool
        /// A downgraded tenant may only use its downgrade models; a non-strict selection (the
        /// detector beside an LLM) may use others when the downgrade list has none of its kind.
        var strictDowngrade: Bool
    }

    /// Health by catalog index: one hash per reported model instead of one per candidate.
    func healthByIndex(_ signals: SignalsSnapshot) -> [ModelHealth?] {
        guard !signals.health.isEmpty else { return [] }
        var health = [ModelHealth?](repeating: nil, count: table.cores.count)
        for (id, value) in signals.health {
            if let i = table.modelIndex[id] { health[i] = value }
        }
        return health
    }

    func select(_ plan: Plan, context: SelectionContext) throws(SelectionFailure) -> (
        primary: Selection, vision: Selection?
    ) {
        var context = context
        var vision: Selection?
        if plan.parallelVision {
            // The detector is chosen first; the LLM then gets what is left of the caps.
            var visionContext = context
            visionContext.explicit = nil
            if context.strategy == .explicit { visionContext.strategy = .fastest }
            let chosen = try selectOne(
                SelectionTarget(role: .vision, category: .detection, needsVision: false, strictDowngrade: false),
                context: visionContext)
            // Caps, remaining budget and cost are all non-negative here, so the differences stay in range.
            let cost = chosen.evaluated[chosen.ranked[0]].totalCost.rawValue
            context.limits.costCap = context.limits.costCap.map { PicoUSD($0.rawValue - cost) }
            context.limits.remaining = context.limits.remaining.map { PicoUSD($0.rawValue - cost) }
            vision = chosen
        }
        let primary = try selectOne(
            SelectionTarget(
                role: plan.role, category: plan.category, needsVision: plan.needsVision, strictDowngrade: true),
            context: context)
        return (primary, vision)
    }

    func selectOne(_ target: SelectionTarget, context: SelectionContext) throws(SelectionFailure) -> Selection {
        let (role, category, profile, tier, rule, explicit, downgraded) =
            (
                target.role, target.category, context.profile, context.tier, context.rule, context.explicit,
                context.downgraded
            )
        let requestedOutput = profile.requestedOutputTokens ?? table.outputTokens[category.index]
        let batch = Int64(profile.batchCount)
        let strategy = downgraded ? RoutingStrategy.cheapest : context.strategy
        let downgradeCovers =
            downgraded
            && (target.strictDowngrade
                || tier.allowed.indices.contains { tier.downgrade[$0] && table.cores[$0].kind == role })

        var evaluated: [Evaluated] = []
        evaluated.reserveCapacity(table.models.count)
        for i in table.cores.indices where table.cores[i].kind == role {
            let model = table.cores[i]
            let quality = table.quality(model: i, category: category)
            let health = context.health.isEmpty ? nil : context.health[i]
            let outputTokens = min(requestedOutput, model.maxOutputTokens)
            let estimate = table.estimate(
                model: i, inputTokens: profile.inputTokens, outputTokens: outputTokens, images: profile.imageCount,
                health: health)
            let total = estimate.cost.flatMap { cost -> PicoUSD? in
                let (value, overflow) = cost.rawValue.multipliedReportingOverflow(by: batch)
                return overflow ? nil : PicoUSD(value)
            }
            var e = Evaluated(
                model: i, role: role, quality: quality, estimate: estimate, outputTokens: outputTokens,
                totalCost: total ?? .zero,
                errorRate: health.map { $0.samples >= table.policy.defaults.minLatencySamples ? $0.errorRate : 0 } ?? 0)
            e.rejection =
                total == nil
                ? .estimateOutOfRange
                : reject(e, model: model, target: target, context: context, downgraded: downgradeCovers)
            rank(&e, strategy: strategy, explicit: explicit)
            evaluated.append(e)
        }

        if let explicit, !downgraded {
            try checkExplicit(explicit, evaluated: evaluated, role: role)
        }

        var eligible = evaluated.indices.filter {
            evaluated[$0].rejection == nil || evaluated[$0].rejection == .notExplicitModel
        }
        var relaxed = false
        if eligible.isEmpty, table.policy.defaults.relaxQualityFloor || downgraded {
            eligible = evaluated.indices.filter {
                if case .belowQualityFloor = evaluated[$0].rejection { return true }
                return false
            }
            if !eligible.isEmpty {
                relaxed = true
                for i in eligible { rank(&evaluated[i], strategy: .best, explicit: nil) }
            }
        }
        if eligible.isEmpty {
            if evaluated.contains(where: { if case .exceedsBudget = $0.rejection { return true } else { return false } }
            ) {
                throw .budget
            }
            throw .none(summary: summarize(evaluated, role: role, category: category, context: context))
        }
        eligible.sort { lhs, rhs in
            let a = evaluated[lhs].key
            let b = evaluated[rhs].key
            return a.0 != b.0 ? a.0 < b.0 : (a.1 != b.1 ? a.1 < b.1 : (a.2 != b.2 ? a.2 < b.2 : lhs < rhs))
        }
        // Fallbacks: the best-ranked model of another provider comes first, so one provider's
        // outage does not take out the primary and its first fallback together.
        let fallbackCount = rule?.then.fallbackCount ?? table.policy.defaults.fallbackCount
        var ranked = [eligible[0]]
        let primaryProvider = table.cores[evaluated[eligible[0]].model].provider
        if let other = eligible.dropFirst().first(where: {
            table.cores[evaluated[$0].model].provider != primaryProvider
        }) {
            ranked.append(other)
        }
        for i in eligible.dropFirst() where ranked.count < 1 + fallbackCount && !ranked.contains(i) { ranked.append(i) }
        if ranked.count > 1 + fallbackCount { ranked.removeLast(ranked.count - 1 - fallbackCount) }
        for (n, i) in ranked.enumerated() {
            evaluated[i].selected = n == 0 ? .primary : .fallback
            evaluated[i].rejection = nil
        }
        return Selection(ranked: ranked, evaluated: evaluated, relaxed: relaxed)
    }

    /// The first hard reason this model cannot take the request, or the soft quality-floor miss.
    @inline(__always)
    func reject(
        _ e: Evaluated, model: RoutingTable.ModelCore, target: SelectionTarget, context: SelectionContext,
        downgraded: Bool
    ) -> Rejection? {
        let (tier, limits, explicit, profile) = (context.tier, context.limits, context.explicit, context.profile)
        let maxErrorRate = table.policy.defaults.maxErrorRate
        guard tier.allowed[e.model] else { return .notInTier }
        if downgraded {
            guard tier.downgrade[e.model] else { return .notADowngradeModel }
        } else if let rule = context.rule, let models = rule.then.models, explicit == nil,
            !models.contains(table.ids[e.model])
        {
            return .excludedByRule
        }
        if target.needsVision, !model.hasVision { return .noVisionInput }
        guard e.quality >= 0 else { return .cannotServe(target.category) }
        if model.kind != .vision {
            let needed = profile.inputTokens + e.outputTokens
            if needed > model.contextWindow { return .contextTooSmall(window: model.contextWindow, needed: needed) }
        }
        if e.errorRate > maxErrorRate, explicit != e.model { return .unhealthy(errorRate: e.errorRate) }
        if let cap = limits.latencyCapMs, e.estimate.latencyP50Ms > cap {
            return .tooSlow(estimatedMs: e.estimate.latencyP50Ms, capMs: cap)
        }
        if let cap = limits.costCap, e.totalCost > cap {
            return .tooExpensive(estimated: e.totalCost, cap: cap)
        }
        if !downgraded, let remaining = limits.remaining, e.totalCost > remaining {
            return .exceedsBudget(estimated: e.totalCost, remaining: remaining)
        }
        if let explicit, !downgraded { return explicit == e.model ? nil : .notExplicitModel }
        if e.quality < limits.floor, !downgraded { return .belowQualityFloor(quality: e.quality, floor: limits.floor) }
        return nil
    }

    /// Fills the sort key (lower is better) and the reported score (higher is better).
    @inline(__always)
    func rank(_ e: inout Evaluated, strategy: RoutingStrategy, explicit: Int?) {
        // A model failing a share of calls costs and waits that much more per success.
        let reliability = max(0.05, 1 - e.errorRate)
        let cost = Double(e.totalCost.rawValue) / reliability
        let latency = Double(e.estimate.latencyP50Ms) / reliability
        let quality = e.quality * reliability
        switch strategy {
        case .cheapest:
            e.key = (cost, -quality, latency)
            e.score = -cost
        case .fastest:
            e.key = (latency, cost, -quality)
            e.score = -latency
        case .best:
            e.key = (-quality, cost, latency)
            e.score = quality
        case .explicit:
            e.key = (e.model == explicit ? 0 : 1, -quality, cost)
            e.score = e.model == explicit ? 1 : quality
        }
    }

    /// An explicit model that cannot take the request is the client's mistake, and says so.
    func checkExplicit(_ explicit: Int, evaluated: [Evaluated], role: BackendKind) throws(SelectionFailure) {
        guard let e = evaluated.first(where: { $0.model == explicit }) else {
            throw .error(
                .unsupportedContent(
                    "model \"\(table.models[explicit].id)\" is a \(table.models[explicit].kind.rawValue) model; "
                        + "this request needs \(role.rawValue)"
                ))
        }
        let id = table.models[explicit].id
        switch e.rejection {
        case nil, .notExplicitModel, .unhealthy: return
        case .cannotServe(let category):
            throw .error(.unsupportedContent("model \"\(id)\" does not serve \(category.rawValue) requests"))
        case .noVisionInput: throw .error(.unsupportedContent("model \"\(id)\" does not accept image input"))
        case .contextTooSmall(let window, let needed):
            throw .error(
                .promptTooLarge(
                    "about \(needed) tokens with output exceed model \"\(id)\"'s \(window)-token context window"))
        case .tooSlow(let estimated, let cap):
            throw .error(
                .contradictoryHints(
                    "hints.model \"\(id)\" is expected to take \(estimated) ms, above the latency cap of \(cap) ms"))
        case .tooExpensive(let estimated, let cap):
            throw .error(
                .contradictoryHints(
                    "hints.model \"\(id)\" is estimated at $\(estimated), above the cost cap of $\(cap)"))
        case .exceedsBudget: throw .budget
        case .estimateOutOfRange:
            throw .error(.promptTooLarge("the estimated cost on model \"\(id)\" is beyond the representable range"))
        case .excludedByRule, .notInTier, .notADowngradeModel, .belowQualityFloor:
            return
        }
    }

    /// "14 llm models for legal: 6 not available on the basic tier, 8 expected latency above the cap".
    func summarize(_ evaluated: [Evaluated], role: BackendKind, category: TaskCategory, context: SelectionContext)
        -> String
    {
        var counts: [(String, Int)] = []
        for e in evaluated {
            guard let rejection = e.rejection else { continue }
            let label: String
            switch rejection {
            case .notInTier: label = "not available on the \(context.tier.name) tier"
            case .excludedByRule: label = "excluded by rule \(context.rule?.name ?? "-")"
            case .notADowngradeModel: label = "not a downgrade model"
            case .cannotServe: label = "no quality score for \(category.rawValue)"
            case .noVisionInput: label = "no image input"
            case .contextTooSmall: label = "context window too small"
            case .unhealthy: label = "error rate too high"
            case .tooSlow(_, let cap): label = "expected latency above \(cap) ms"
            case .tooExpensive(_, let cap): label = "estimated cost above $\(cap)"
            case .exceedsBudget: label = "over the remaining budget"
            case .estimateOutOfRange: label = "estimate out of range"
            case .belowQualityFloor(_, let floor): label = "quality below \(floor)"
            case .notExplicitModel: continue
            }
            if let i = counts.firstIndex(where: { $0.0 == label }) {
                counts[i].1 += 1
            } else {
                counts.append((label, 1))
            }
        }
        let parts = counts.map { "\($0.1) \($0.0)" }.joinedText(separator: ", ")
        return "\(evaluated.count) \(role.rawValue) models for \(category.rawValue): "
            + (parts.isEmpty ? "none in the catalog" : parts)
    }
}
