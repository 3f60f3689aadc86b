import SwitchyardContract
import SwitchyardRouting

/// The model a decision's main step calls first: the LLM, else the embedder, else the detector.
func primaryModel(_ decision: RouteDecision) -> ModelID? {
    (decision.llm?.candidates.first ?? decision.embedding?.candidates.first)?.model
        ?? decision.vision?.candidates.first?.model
}

func chosenModel(_ decision: RouteDecision, truth: TaskCategory) -> ModelID? {
    if truth == .detection, let detector = decision.vision?.candidates.first { return detector.model }
    return primaryModel(decision)
}

func qualityOf(_ decision: RouteDecision, truth: TaskCategory, table: RoutingTable) -> Double {
    chosenModel(decision, truth: truth).flatMap { table.model($0)?.quality[truth.rawValue] } ?? 0
}

func oracle(_ c: EvalCase) -> Classification {
    Classification(
        category: c.expectedCategory, difficulty: c.expectedDifficulty ?? .medium, confidence: 1, classifier: "oracle")
}

/// Routing of every case against always-premium: the `best` strategy with the true labels, on the same tier.
struct PremiumComparison {
    var cases: [EvalCase]
    var profiles: [RequestProfile]
    var premium: [(cost: Int64, quality: Double)?]

    init(cases: [EvalCase], profiles: [RequestProfile], router: Router) {
        self.cases = cases
        self.profiles = profiles
        premium = zip(cases, profiles).map { c, profile in
            var p = profile
            p.hints.route = .best
            guard let decision = try? router.decide(p, classification: oracle(c)) else { return nil }
            return (
                decision.estimatedCostPicoUSD.rawValue,
                qualityOf(decision, truth: c.expectedCategory, table: router.table)
            )
        }
    }

    func route(_ verdicts: [Classification], with router: Router) -> RoutingOutcome {
        var outcome = RoutingOutcome()
        for (i, (c, profile)) in zip(cases, profiles).enumerated() {
            guard let base = premium[i] else { continue }
            if verdicts[i].classifier != "hint",
                verdicts[i].confidence < router.table.policy.classifier.confidenceThreshold
            {
                outcome.uncertain += 1
            }
            do {
                let decision = try router.decide(profile, classification: verdicts[i])
                outcome.routed += 1
                let chosen = chosenModel(decision, truth: c.expectedCategory)?.rawValue ?? "-"
                outcome.mix[primaryModel(decision)?.rawValue ?? "-", default: 0] += 1
                if c.acceptableModels.contains(chosen) { outcome.acceptable += 1 }
                outcome.cost += decision.estimatedCostPicoUSD.rawValue
                outcome.premiumCost += base.cost
                outcome.quality += qualityOf(decision, truth: c.expectedCategory, table: router.table)
                outcome.premiumQuality += base.quality
            } catch {
                outcome.refused[error.errorType, default: 0] += 1
            }
        }
        return outcome
    }
}

/// The policy with every quality floor (defaults and rules) moved by `delta`, clamped to 0...1 and rounded to
/// six decimals, so a shifted floor equals the decimal written in a policy file (0.88 - 0.02 is 0.86, which
/// a model of quality 0.86 clears).
func shifted(_ policy: RoutingPolicy, by delta: Double, bundle: RoutingBundle) throws -> Router {
    var p = policy
    func move(_ x: Double) -> Double { min(1, max(0, ((x + delta) * 1e6).rounded() / 1e6)) }
    p.defaults.qualityFloor = QualityFloors(
        easy: move(p.defaults.qualityFloor.easy), medium: move(p.defaults.qualityFloor.medium),
        hard: move(p.defaults.qualityFloor.hard))
    for i in p.rules.indices { p.rules[i].then.qualityFloor = p.rules[i].then.qualityFloor.map(move) }
    return Router(
        bundle: try RoutingBundle(
            policy: p, catalog: bundle.catalog, rates: bundle.rates, qualityVersion: bundle.qualityVersion,
            pricesAt: bundle.pricesAt))
}
