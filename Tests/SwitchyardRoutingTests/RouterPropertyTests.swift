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
        var request: InferenceRequest
        var spend: PicoUSD?
        var health: [ModelID: ModelHealth]
    }

    func makeCase(_ rng: inout SplitMix64) -> Case {
        let bundle = RoutingFixtures.bundle
        let tenant = bundle.policy.tenants.randomElement(using: &rng)!.id
        let words = (0..<Int.random(in: 1...12, using: &rng)).map { _ in Self.fragments.randomElement(using: &rng)! }
        var prompt: String? = words.joined(separator: ". ")
        if Int.random(in: 0..<10, using: &rng) == 0 {
            prompt = String(repeating: prompt!, count: Int.random(in: 20...400, using: &rng))
        }
        let imageCount = [0, 0, 0, 1, 2].randomElement(using: &rng)!
        let images: [ImageReference]? = imageCount == 0 ? nil : (0..<imageCount).map { _ in RoutingFixtures.photo }
        if images != nil, Bool.random(using: &rng) { prompt = nil }
        var hints = RoutingHints()
        switch Int.random(in: 0..<6, using: &rng) {
        case 0: hints.route = [.cheapest, .fastest, .best].randomElement(using: &rng)
        case 1: hints.model = bundle.catalog.models.randomElement(using: &rng)!.id
        default: break
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            hints.maxCostPicoUSD = ["0.00005", "0.0005", "0.005", "0.05", "1"].map(RoutingFixtures.usd)
                .randomElement(using: &rng)!
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            hints.maxLatencyMs = [100, 800, 2000, 5000, 20000].randomElement(using: &rng)!
        }
        if Int.random(in: 0..<5, using: &rng) == 0 { hints.tags = ["realtime"] }
        var parameters: GenerationParameters?
        if Int.random(in: 0..<4, using: &rng) == 0 {
            parameters = GenerationParameters(maxTokens: [1, 64, 4096, 200_000, 1_000_000].randomElement(using: &rng)!)
        }
        var batch: [BatchItem]?
        if Int.random(in: 0..<8, using: &rng) == 0 {
            batch = (0..<Int.random(in: 1...60, using: &rng)).map { i in
                BatchItem(
                    id: "\(i)", text: Self.fragments.randomElement(using: &rng)!,
                    images: imageCount > 0 ? [RoutingFixtures.photo] : nil)
            }
        }
        let spend: PicoUSD? = [nil, "0", "1", "49", "199", "250", "6", "50"].randomElement(using: &rng)!.map(
            RoutingFixtures.usd)
        var health: [ModelID: ModelHealth] = [:]
        for model in bundle.catalog.models where Int.random(in: 0..<6, using: &rng) == 0 {
            health[model.id] = ModelHealth(
                p50Ms: Int.random(in: 30...12000, using: &rng), p95Ms: 15000,
                errorRate: Double.random(in: 0...0.6, using: &rng), samples: Int.random(in: 0...300, using: &rng))
        }
        return Case(
            request: RoutingFixtures.request(
                tenant: tenant, prompt: prompt, images: images, hints: hints, parameters: parameters, batch: batch),
            spend: spend, health: health)
    }

    func testDecisionsRespectTierBudgetAndConstraints() throws {
        var rng = SplitMix64(seed: 0x5EED_2026)
        let table = RoutingFixtures.router.table
        let catalog = RoutingFixtures.bundle.catalog
        var decided = 0
        var refused: [String: Int] = [:]
        for iteration in 0..<3000 {
            let c = makeCase(&rng)
            let signals = SignalsSnapshot(monthToDateSpend: c.spend, health: c.health)
            let hints = c.request.hints!
            let context =
                "case \(iteration): \(c.request.tenantID) hints=\(hints) spend=\(String(describing: c.spend))"
            let decision: RouteDecision
            do {
                decision = try RoutingFixtures.decide(c.request, signals: signals)
            } catch {
                XCTAssertTrue(RouterError.allErrorTypes.contains(error.errorType), context)
                refused[error.errorType, default: 0] += 1
                if error.errorType == "Router.BudgetExceeded" {
                    let tier = table.tierName(ofTenant: c.request.tenantID)!
                    XCTAssertEqual(RoutingFixtures.policy.tiers[tier]!.overBudget, .reject, context)
                    XCTAssertNotNil(c.spend, context)
                }
                continue
            }
            decided += 1
            // Determinism.
            XCTAssertEqual(try RoutingFixtures.decide(c.request, signals: signals), decision, context)

            // Tier.
            let tier = table.tierName(ofTenant: c.request.tenantID)!
            XCTAssertEqual(decision.tier, tier)
            let all =
                (decision.llm?.candidates.map(\.model) ?? []) + (decision.vision?.candidates.map(\.model) ?? [])
                + (decision.embedding?.candidates.map(\.model) ?? [])
            XCTAssertFalse(all.isEmpty, context)
            for model in all {
                XCTAssertTrue(table.isAllowed(model: model, tier: tier), "\(model) not allowed on \(tier): \(context)")
            }

            // Budget: spent == budget is already over it.
            let budget = try XCTUnwrap(decision.budget)
            let tierSpec = RoutingFixtures.policy.tiers[tier]!
            if budget.downgraded {
                XCTAssertEqual(tierSpec.overBudget, .downgrade, context)
                XCTAssertTrue(tierSpec.downgradeModels!.contains(decision.primaryModel!), context)
            } else if let remaining = budget.remainingPicoUSD {
                XCTAssertGreaterThan(remaining, .zero, context)
                XCTAssertLessThanOrEqual(decision.estimatedCostPicoUSD, remaining, context)
                XCTAssertLessThanOrEqual(decision.costCeilingPicoUSD, remaining, context)
            }
            XCTAssertGreaterThanOrEqual(decision.costCeilingPicoUSD, decision.estimatedCostPicoUSD, context)

            // Hints and parameters.
            if let cap = hints.maxCostPicoUSD {
                XCTAssertLessThanOrEqual(decision.estimatedCostPicoUSD, cap, context)
                XCTAssertLessThanOrEqual(decision.costCeilingPicoUSD, cap, context)
            }
            if let cap = hints.maxLatencyMs {
                for candidate in decision.llm?.candidates ?? [] {
                    XCTAssertLessThanOrEqual(candidate.attemptTimeoutMs, cap, context)
                }
                XCTAssertLessThanOrEqual(decision.llm?.candidates[0].estimatedLatencyMs ?? 0, cap, context)
            }
            if let model = hints.model, !budget.downgraded {
                XCTAssertEqual(decision.primaryModel, model, context)
            }
            if let llm = decision.llm {
                let primary = catalog.model(llm.candidates[0].model)!
                let requested = c.request.parameters?.maxTokens ?? llm.maxOutputTokens
                XCTAssertEqual(
                    llm.maxOutputTokens, min(requested, primary.maxOutputTokens ?? primary.contextWindow), context)
                for candidate in llm.candidates {
                    XCTAssertEqual(candidate.contextWindow, catalog.model(candidate.model)!.contextWindow)
                }
            }

            // Paths.
            let imageCount = c.request.images?.count ?? 0
            if decision.route == .batch {
                XCTAssertEqual(
                    decision.strategy, hints.model == nil || budget.downgraded ? .cheapest : .explicit, context)
                XCTAssertEqual(decision.batch?.items, c.request.batch)
                XCTAssertEqual(decision.batch?.inline, c.request.batch!.count <= 40, context)
            } else if imageCount > 0 {
                XCTAssertTrue(decision.route == .vision || decision.route == .visionLLM, context)
                if decision.route == .visionLLM {
                    XCTAssertNotNil(decision.vision, context)
                    XCTAssertEqual(decision.llm?.groundWithDetections, true, context)
                    XCTAssertTrue(catalog.model(decision.primaryModel!)!.capabilities.contains(.vision), context)
                }
            } else {
                XCTAssertTrue(decision.route == .llm || decision.route == .embedding, context)
            }

            // Quality floor, unless explicitly relaxed, downgraded or the client named the model.
            let primary = decision.candidates.first { $0.model == decision.primaryModel && $0.selected == "primary" }!
            if !decision.qualityFloorRelaxed, !budget.downgraded, decision.strategy != .explicit {
                XCTAssertGreaterThanOrEqual(primary.quality ?? 0, decision.qualityFloor ?? 0, context)
            }

            // Strategy objective among healthy, eligible candidates of the primary's role.
            let peers = decision.candidates.filter {
                $0.role == primary.role && $0.rejected == nil && (c.health[$0.model]?.errorRate ?? 0) == 0
            }
            if (c.health[primary.model]?.errorRate ?? 0) == 0, !decision.qualityFloorRelaxed {
                switch decision.strategy {
                case .cheapest:
                    for p in peers {
                        XCTAssertGreaterThanOrEqual(p.estimatedCostPicoUSD, primary.estimatedCostPicoUSD, context)
                    }
                case .fastest:
                    for p in peers {
                        XCTAssertGreaterThanOrEqual(p.estimatedLatencyMs, primary.estimatedLatencyMs, context)
                    }
                case .best: for p in peers { XCTAssertLessThanOrEqual(p.quality ?? 0, primary.quality ?? 0, context) }
                case .explicit, nil: break
                }
            }
        }
        XCTAssertGreaterThan(decided, 1500, "most random requests are routable; refusals: \(refused)")
        XCTAssertGreaterThan(refused.count, 2, "the generator reaches several refusal types: \(refused)")
    }

    /// Hostile sizes never trap: every number is range-checked or computed in checked arithmetic.
    func testHostileNumbersNeverTrap() {
        let values = [Int.min, -1, 0, 1, 1 << 31, 1_000_000_000_000, Int.max]
        for value in values {
            let requests = [
                RoutingFixtures.request(
                    tenant: "initech", prompt: "hi", parameters: GenerationParameters(maxTokens: value)),
                RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: value)),
                RoutingFixtures.request(
                    tenant: "initech", images: [RoutingFixtures.photo], hints: RoutingHints(maxDetections: value)),
                RoutingFixtures.request(
                    tenant: "initech", prompt: "hi", hints: RoutingHints(maxCostPicoUSD: PicoUSD(Int64(value)))),
            ]
            for request in requests {
                do { _ = try RoutingFixtures.decide(request) } catch {
                    XCTAssertTrue(RouterError.allErrorTypes.contains(error.errorType), "\(value): \(error)")
                }
            }
            let health: [ModelID: ModelHealth] = [
                "gpt-4o": ModelHealth(p50Ms: value, p95Ms: value, errorRate: 0, samples: value)
            ]
            let snapshot = SignalsSnapshot(
                monthToDateSpend: PicoUSD(Int64(max(0, value))), health: health.compactMapValues(\.checked))
            do {
                _ = try RoutingFixtures.decide(
                    RoutingFixtures.request(tenant: "initech", prompt: "hi"), signals: snapshot)
            } catch {
                XCTAssertTrue(RouterError.allErrorTypes.contains(error.errorType), "\(value): \(error)")
            }
        }
    }
}
