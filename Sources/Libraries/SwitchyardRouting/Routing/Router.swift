import SwitchyardContract

/// Picks the backend and models for a request, and says why.
///
/// `decide` is a pure function of the compiled policy, the request profile, its classification
/// and a snapshot of live signals: no I/O, no clock, so tests and the benchmark call it directly
/// and the same inputs always give the same decision.
public struct Router: Sendable {
    public let table: RoutingTable

    public init(table: RoutingTable) { self.table = table }

    public init(bundle: RoutingBundle) { self.init(table: RoutingTable(bundle: bundle)) }

    /// Decides where a request goes.
    /// - Parameters:
    ///   - profile: the validated request.
    ///   - classification: the classifier's verdict; a `category` hint overrides its category.
    ///   - signals: month-to-date spend and model health at decision time.
    /// - Returns: the decision with its plans, `usage` still empty (the handler adds the router's
    ///   own invocation record).
    /// - Throws: `Router.UnknownTenant`, `Router.UnknownModel`, `Router.ModelNotAllowed`,
    ///   `Router.UnsupportedContent`, `Router.PromptTooLarge`, `Router.ContradictoryHints`,
    ///   `Router.BudgetExceeded`, `Router.NoEligibleModel`.
    public func decide(
        _ profile: RequestProfile, classification: Classification, signals: SignalsSnapshot = .none
    ) throws(RouterError) -> RouteDecision {
        let routed = try route(profile, classification: classification, signals: signals)
        return try assemble(profile: profile, routed: routed, signals: signals)
    }

    /// What `decide` chooses, without assembling its document (plans, candidate report,
    /// explanation): the same selection and the same errors, for callers that read only the
    /// choice, such as the routing what-if replaying recorded calls (the explanation's strings were
    /// about half of a decision's time there).
    /// - Returns: the route, the role of the main selection and its model (the first candidate of
    ///   the decision's LLM, detector or embedding plan), and whether the tenant was downgraded.
    /// - Throws: what `decide` throws for the same inputs.
    public func choose(
        _ profile: RequestProfile, classification: Classification, signals: SignalsSnapshot = .none
    ) throws(RouterError) -> RouteChoice {
        let routed = try route(profile, classification: classification, signals: signals)
        // The decision's cost figures can refuse it (out of range): checked the same way here.
        _ = try costFigures(routed)
        let primary = routed.selection.primary
        return RouteChoice(
            route: routed.plan.route, role: routed.plan.role,
            model: table.ids[primary.evaluated[primary.ranked[0]].model], downgraded: routed.downgraded)
    }

    /// Everything a decision chose, before its document is assembled.
    struct Routed {
        var tenant: RoutingTable.CompiledTenant
        var plan: Plan
        var rule: RoutingRule?
        var strategy: RoutingStrategy
        var limits: Limits
        var selection: (primary: Selection, vision: Selection?)
        var retrieval: RetrievalPlan?
        var classification: Classification
        var downgraded: Bool
    }

    /// The selection `decide` and `choose` share: tenant, plan, rule, strategy, limits, models.
    func route(
        _ profile: RequestProfile, classification: Classification, signals: SignalsSnapshot
    ) throws(RouterError) -> Routed {
        guard let tenant = table.tenants[profile.tenantID] else { throw .unknownTenant(profile.tenantID) }
        let tier = tenant.tier
        let hints = profile.hints

        var explicit: Int?
        if let id = hints.model {
            guard let i = table.modelIndex[id] else { throw .unknownModel(id.rawValue) }
            guard tier.allowed[i] else { throw .modelNotAllowed(model: id.rawValue, tier: tier.name) }
            explicit = i
        }

        var classification = classification
        if let category = hints.category, category != classification.category {
            classification = Classification(
                category: category, difficulty: classification.difficulty, confidence: 1, classifier: "hint")
        }
        let plan = try plan(profile, category: classification.category, explicit: explicit)
        // Retrieval puts its sources into the LLM's prompt: every model is weighed (cost, context
        // window, caps, budget) with them. Both figures are bounded (topK ≤ 100, tokensPerSource ≤
        // 100 000, the prompt by the policy's limits), so the sum stays far inside `Int`.
        let retrieval = try retrievalPlan(
            profile, classification: classification, tier: tier.name, route: plan.route)
        var weighed = profile
        weighed.inputTokens += retrieval?.estimatedSourceTokens ?? 0
        let rule = matchRule(profile, classification: classification, tier: tier.name, modality: profile.modality)

        // Strategy: an explicit model, then the hint (unless the rule locks), then rule, then tier.
        var strategy: RoutingStrategy
        if explicit != nil {
            strategy = .explicit
        } else if profile.modality == .batch {
            strategy = .cheapest
        } else if let route = hints.route, !(rule?.then.lockStrategy ?? false) {
            strategy = route
        } else {
            strategy = rule?.then.strategy ?? tier.spec.defaultStrategy
        }

        let floor = rule?.then.qualityFloor ?? table.policy.defaults.qualityFloor[classification.difficulty]
        let spent = signals.monthToDateSpend
        // Spend is never negative (`SignalsSnapshot` drops such figures) and budgets are validated
        // non-negative, so the difference stays in range.
        let remaining = spent.map { PicoUSD(tenant.monthlyBudget.rawValue - $0.rawValue) }
        var limits = Limits(
            latencyCapMs: minimum(hints.maxLatencyMs, rule?.then.maxLatencyMs),
            costCap: minimum(hints.maxCost, rule?.then.maxCost), remaining: remaining, floor: floor)

        // Over budget once nothing is left: a tenant whose spend equals its budget is not routed
        // (rejected, or downgraded where the tier says so).
        var downgraded = false
        if let remaining, remaining <= .zero {
            guard tier.spec.overBudget == .downgrade else {
                throw .budgetExceeded(tenant: tenant.spec.id, spent: spent ?? .zero, budget: tenant.monthlyBudget)
            }
            downgraded = true
        }

        // The question's embedding is paid before the LLM: the models share what is left of the
        // cost cap and the budget (the decision's own `limits` keep the full figures for the ceiling).
        var selectionLimits = limits
        if let embedding = retrieval?.estimatedCostPicoUSD, embedding > .zero {
            selectionLimits.costCap = selectionLimits.costCap.map { PicoUSD(max(0, $0.rawValue - embedding.rawValue)) }
            selectionLimits.remaining = selectionLimits.remaining.map {
                PicoUSD(max(0, $0.rawValue - embedding.rawValue))
            }
        }
        var context = SelectionContext(
            profile: weighed, tier: tier, rule: rule, strategy: strategy, explicit: explicit, limits: selectionLimits,
            downgraded: downgraded, health: healthByIndex(signals))
        var selection: (primary: Selection, vision: Selection?)
        do {
            selection = try select(plan, context: context)
        } catch SelectionFailure.budget {
            // Within budget overall, but every fitting model costs more than what is left.
            guard tier.spec.overBudget == .downgrade else {
                throw .budgetExceeded(tenant: tenant.spec.id, spent: spent ?? .zero, budget: tenant.monthlyBudget)
            }
            downgraded = true
            context.downgraded = true
            do {
                selection = try select(plan, context: context)
            } catch {
                throw error.routerError
            }
        } catch {
            throw error.routerError
        }
        if downgraded {
            strategy = .cheapest
            limits.remaining = nil
        }

        return Routed(
            tenant: tenant, plan: plan, rule: rule, strategy: strategy, limits: limits, selection: selection,
            retrieval: retrieval, classification: classification, downgraded: downgraded)
    }

    // MARK: - Plan

    /// Which branch and which selections a request needs.
    struct Plan {
        var route: Route
        /// The main selection: the LLM, the detector on the vision path, or the batch item model.
        var role: BackendKind
        var category: TaskCategory
        var needsVision: Bool
        /// The detector selection run beside the LLM on the `vision+llm` path.
        var parallelVision: Bool
    }

    func plan(_ profile: RequestProfile, category: TaskCategory, explicit: Int?) throws(RouterError) -> Plan {
        let explicitKind = explicit.map { table.models[$0].kind }
        let images = profile.imageCount > 0
        if profile.modality == .batch {
            let vision = images && (category == .detection || explicitKind == .vision)
            // A labelling job's items go to an LLM: an "embedding" verdict on their text cannot
            // pick one (no LLM has an embedding score), so they are judged as chat.
            let textCategory = category == .embedding ? .chat : category
            return Plan(
                route: .batch, role: vision ? .vision : .llm,
                category: vision ? .detection : (images ? .visionQA : textCategory),
                needsVision: images && !vision, parallelVision: false)
        }
        if category == .embedding || explicitKind == .embedding {
            guard !images else { throw .unsupportedContent("embedding models take text only; remove the images") }
            return Plan(
                route: .embedding, role: .embedding, category: .embedding, needsVision: false, parallelVision: false)
        }
        if images {
            if explicitKind == .vision || (explicitKind == nil && category == .detection) || profile.modality == .image
            {
                if let explicit, explicitKind != .vision {
                    guard table.hasVision[explicit] else {
                        throw .unsupportedContent("model \"\(table.models[explicit].id)\" does not accept image input")
                    }
                    return Plan(
                        route: .visionLLM, role: .llm, category: .visionQA, needsVision: true, parallelVision: true)
                }
                return Plan(
                    route: .vision, role: .vision, category: .detection, needsVision: false, parallelVision: false)
            }
            if let explicit, !table.hasVision[explicit] {
                throw .unsupportedContent(
                    "model \"\(table.models[explicit].id)\" does not accept image input; "
                        + "pick a vision-capable model or drop hints.model"
                )
            }
            return Plan(route: .visionLLM, role: .llm, category: .visionQA, needsVision: true, parallelVision: true)
        }
        if explicitKind == .vision {
            throw .unsupportedContent(
                "model \"\(table.models[explicit!].id)\" is a detector and needs an image; the request has none")
        }
        // A question about an image that did not come along goes to a model that can see, judged on
        // its vision-qa quality, so the follow-up with the image lands on a model that can answer.
        let textCategory = (category == .detection || category == .visionQA) ? .visionQA : category
        return Plan(route: .llm, role: .llm, category: textCategory, needsVision: false, parallelVision: false)
    }

    // MARK: - Rules

    /// A learned verdict below the policy's confidence threshold. Only the learned model's
    /// confidence is a calibrated probability; heuristic margins, LLM answers and hints never are.
    func isUncertain(_ classification: Classification) -> Bool {
        classification.classifier == "learned"
            && classification.confidence < table.policy.classifier.confidenceThreshold
    }

    func matchRule(
        _ profile: RequestProfile, classification: Classification, tier: String, modality: RequestModality
    )
        -> RoutingRule?
    {
        let categoryBit = UInt16(1) << UInt16(classification.category.index)
        let difficultyBit = UInt8(1) << UInt8(classification.difficulty.rank)
        let modalityBit = CompiledRule.bit(modality)
        for rule in table.rules {
            if let m = rule.modalities, m & modalityBit == 0 { continue }
            if let c = rule.categories, c & categoryBit == 0 { continue }
            if let d = rule.difficulties, d & difficultyBit == 0 { continue }
            if let t = rule.tiers, !t.contains(tier) { continue }
            if let t = rule.tenants, !t.contains(profile.tenantID) { continue }
            if let r = rule.routes {
                guard let route = profile.hints.route, r & CompiledRule.bit(route) != 0 else { continue }
            }
            if let tags = rule.tags, !tags.contains(where: profile.hints.tags.contains) { continue }
            if let uncertain = rule.uncertain, uncertain != isUncertain(classification) { continue }
            return table.policy.rules[rule.index]
        }
        return nil
    }
}

/// Hard limits and the quality floor for one decision.
struct Limits {
    var latencyCapMs: Int?
    var costCap: PicoUSD?
    var remaining: PicoUSD?
    var floor: Double
}

@inline(__always) func minimum<T: Comparable>(_ a: T?, _ b: T?) -> T? {
    switch (a, b) {
    case (let a?, let b?): min(a, b)
    case (let a?, nil): a
    case (nil, let b?): b
    case (nil, nil): nil
    }
}

/// What `Router.choose` returns: the decision's choice without its document.
public struct RouteChoice: Sendable, Equatable {
    public var route: Route
    /// The role of the main selection: an LLM, the detector on the vision path, or an embedding model.
    public var role: BackendKind
    /// The main selection's first candidate (the decision's `llm`, `vision` or `embedding` plan's first).
    public var model: ModelID
    /// Over budget and downgraded to the tier's downgrade models.
    public var downgraded: Bool
}
