import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import XCTest

/// Random requests from a seeded generator: every decision the router makes must respect the
/// tenant's tier, its budget and the request's constraints, and every refusal must be typed.
final class RouterPropertyTests: XCTestCase {

    static let fragments = [
        "Summarize this report", "Translate into Spanish", "Write a Python function", "Review this contract clause",
        "The patient reports chest pain", "Solve 3x + 4 = 19", "Write a haiku about rain", "Extract all dates as JSON",
        "hello there", "step by step, analyze in detail", "what do you think about", "the quarterly numbers were flat",
        "Explain the trade-offs of microservices", "Is this lease enforceable?", "How many cars are in this image?",
    ]

    struct Case {
        var input: RouterInput
        var spend: Int64?
        var health: [String: ModelHealth]
    }

    func makeCase(_ rng: inout SplitMix64) -> Case {
        let policy = RoutingFixtures.policy
        let tenant = policy.tenants.randomElement(using: &rng)!.id
        let words = (0..<Int.random(in: 1...12, using: &rng)).map { _ in Self.fragments.randomElement(using: &rng)! }
        var prompt: String? = words.joined(separator: ". ")
        if Int.random(in: 0..<10, using: &rng) == 0 {
            prompt = String(repeating: prompt!, count: Int.random(in: 20...400, using: &rng))
        }
        let imageCount = [0, 0, 0, 1, 2].randomElement(using: &rng)!
        let images: [ImageRef]? = imageCount == 0 ? nil : (0..<imageCount).map { _ in RoutingFixtures.photo }
        if images != nil, Bool.random(using: &rng) { prompt = nil }
        var hints = SwitchyardRouting.RoutingHints()
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: hints.route = ["cheapest", "fastest", "best"].randomElement(using: &rng)
        case 1: hints.model = policy.models.randomElement(using: &rng)!.id
        default: break
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            hints.maxCostUSD = [0.00005, 0.0005, 0.005, 0.05, 1].randomElement(using: &rng)!
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            hints.maxLatencyMs = [100, 800, 2000, 5000, 20000].randomElement(using: &rng)!
        }
        if Int.random(in: 0..<5, using: &rng) == 0 { hints.tags = ["realtime"] }
        var batch: [SwitchyardRouting.BatchItem]?
        if Int.random(in: 0..<8, using: &rng) == 0 {
            batch = (0..<Int.random(in: 1...30, using: &rng)).map { i in
                SwitchyardRouting.BatchItem(
                    id: "\(i)", prompt: Self.fragments.randomElement(using: &rng)!,
                    images: imageCount > 0 ? [RoutingFixtures.photo] : nil)
            }
        }
        let spend: Int64? = [nil, 0, 1_000_000, 49_000_000, 199_000_000, 250_000_000, 6_000_000].randomElement(
            using: &rng)!
        var health: [String: ModelHealth] = [:]
        for model in policy.models where Int.random(in: 0..<6, using: &rng) == 0 {
            health[model.id] = ModelHealth(
                p50Ms: Int.random(in: 30...12000, using: &rng), p95Ms: 15000,
                errorRate: Double.random(in: 0...0.6, using: &rng),
                samples: Int.random(in: 0...300, using: &rng))
        }
        return Case(
            input: RouterInput(
                requestID: "prop", tenantID: tenant, prompt: prompt, images: images, hints: hints, batch: batch),
            spend: spend, health: health)
    }

    func testDecisionsRespectTierBudgetAndConstraints() throws {
        var rng = SplitMix64(seed: 0x5EED_2026)
        let table = RoutingFixtures.router.table
        var decided = 0
        var refused: [String: Int] = [:]
        for iteration in 0..<3000 {
            let c = makeCase(&rng)
            let signals = SignalsSnapshot(monthToDateSpendMicroUSD: c.spend, health: c.health)
            let context =
                "case \(iteration): \(c.input.tenantID) hints=\(String(describing: c.input.hints)) spend=\(String(describing: c.spend))"
            let decision: SwitchyardRouting.RouteDecision
            do {
                decision = try RoutingFixtures.decide(c.input, signals: signals)
            } catch {
                XCTAssertTrue(RouterError.allErrorTypes.contains(error.errorType), context)
                refused[error.errorType, default: 0] += 1
                if error.errorType == "Router.BudgetExceeded" {
                    let tier = table.tierName(ofTenant: c.input.tenantID)!
                    XCTAssertEqual(RoutingFixtures.policy.tiers[tier]!.overBudget, .reject, context)
                    XCTAssertNotNil(c.spend, context)
                }
                continue
            }
            decided += 1
            // Determinism.
            XCTAssertEqual(try RoutingFixtures.decide(c.input, signals: signals), decision, context)

            // Tier.
            let tier = table.tierName(ofTenant: c.input.tenantID)!
            XCTAssertEqual(decision.tier, tier)
            let all =
                decision.chosenModels + (decision.vision.map { [$0.primary.model] + $0.fallbacks.map(\.model) } ?? [])
            for model in all {
                XCTAssertTrue(table.isAllowed(model: model, tier: tier), "\(model) not allowed on \(tier): \(context)")
            }

            // Budget.
            let tierSpec = RoutingFixtures.policy.tiers[tier]!
            if decision.budget.downgraded {
                XCTAssertEqual(tierSpec.overBudget, .downgrade, context)
                XCTAssertTrue(tierSpec.downgradeModels!.contains(decision.primary.model), context)
            } else if let remaining = decision.budget.remainingMicroUSD {
                XCTAssertLessThanOrEqual(decision.estimatedCostMicroUSD, remaining, context)
                XCTAssertLessThanOrEqual(decision.costCeilingMicroUSD, remaining, context)
            }
            XCTAssertGreaterThanOrEqual(decision.costCeilingMicroUSD, decision.estimatedCostMicroUSD, context)

            // Hints.
            let hints = c.input.hints!
            if let usd = hints.maxCostUSD {
                let cap = Int64((usd * 1_000_000).rounded(.down))
                XCTAssertLessThanOrEqual(decision.estimatedCostMicroUSD, cap, context)
                XCTAssertLessThanOrEqual(decision.costCeilingMicroUSD, cap, context)
                for f in decision.fallbacks { XCTAssertLessThanOrEqual(f.estimatedCostMicroUSD, cap, context) }
            }
            if let cap = hints.maxLatencyMs {
                XCTAssertLessThanOrEqual(decision.primary.estimatedLatencyMs, cap, context)
                XCTAssertLessThanOrEqual(decision.attemptTimeoutMs, cap, context)
            }
            if let model = hints.model, !decision.budget.downgraded {
                XCTAssertEqual(decision.primary.model, model, context)
            }

            // Paths.
            let imageCount = (c.input.images?.count ?? 0)
            if decision.backend == .batch {
                XCTAssertEqual(
                    decision.strategy, hints.model == nil || decision.budget.downgraded ? .cheapest : .explicit, context
                )
                XCTAssertEqual(decision.batch?.items, c.input.batch?.count)
            } else if imageCount > 0 {
                XCTAssertTrue(decision.backend == .vision || decision.backend == .visionLLM, context)
                if decision.backend == .visionLLM {
                    XCTAssertNotNil(decision.vision, context)
                    XCTAssertTrue(table.model(decision.primary.model)!.capabilities.contains(.vision), context)
                }
            } else {
                XCTAssertTrue(decision.backend == .llm || decision.backend == .embedding, context)
            }

            // Quality floor, unless explicitly relaxed, downgraded or the client named the model.
            if !decision.qualityFloorRelaxed, !decision.budget.downgraded, decision.strategy != .explicit {
                let chosen = decision.candidates.first {
                    $0.model == decision.primary.model && $0.selected == "primary"
                }!
                XCTAssertGreaterThanOrEqual(chosen.quality ?? 0, decision.qualityFloor, context)
            }

            // Strategy objective among healthy, eligible candidates of the primary's role.
            let role = decision.primary.kind
            let peers = decision.candidates.filter {
                $0.role == role && $0.rejected == nil && (c.health[$0.model]?.errorRate ?? 0) == 0
            }
            let primary = decision.candidates.first { $0.selected == "primary" && $0.role == role }!
            if (c.health[primary.model]?.errorRate ?? 0) == 0, !decision.qualityFloorRelaxed {
                switch decision.strategy {
                case .cheapest:
                    for p in peers {
                        XCTAssertGreaterThanOrEqual(p.estimatedCostMicroUSD, primary.estimatedCostMicroUSD, context)
                    }
                case .fastest:
                    for p in peers {
                        XCTAssertGreaterThanOrEqual(p.estimatedLatencyMs, primary.estimatedLatencyMs, context)
                    }
                case .best: for p in peers { XCTAssertLessThanOrEqual(p.quality ?? 0, primary.quality ?? 0, context) }
                case .explicit: break
                }
            }
        }
        XCTAssertGreaterThan(decided, 1500, "most random requests are routable; refusals: \(refused)")
        XCTAssertGreaterThan(refused.count, 2, "the generator reaches several refusal types: \(refused)")
    }
}
