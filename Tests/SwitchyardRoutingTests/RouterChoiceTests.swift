import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting
import XCTest

/// `Router.choose` is `decide` without the decision's document: on every input it must choose what
/// `decide` puts first (the main plan's first candidate, route, downgrade) or throw the same error.
final class RouterChoiceTests: XCTestCase {
    func testChooseMatchesDecideOnRandomInputs() {
        var rng = SplitMix64(seed: 0xC401_CE)
        let router = RoutingFixtures.router
        let catalog = RoutingFixtures.bundle.catalog
        let tenants = RoutingFixtures.policy.tenants.map(\.id) + ["nobody"]
        var outcomes: [String: Int] = [:]
        for iteration in 0..<4_000 {
            let modality: RequestModality = [.text, .text, .imageText, .image, .batch].randomElement(using: &rng)!
            let images = modality == .text ? 0 : Int.random(in: 1...3, using: &rng)
            var hints = ParsedHints()
            switch Int.random(in: 0..<8, using: &rng) {
            case 0: hints.route = [.cheapest, .fastest, .best].randomElement(using: &rng)
            case 1: hints.model = catalog.models.randomElement(using: &rng)!.id
            case 2: hints.category = TaskCategory.allCases.randomElement(using: &rng)
            default: break
            }
            if Int.random(in: 0..<3, using: &rng) == 0 {
                hints.maxCost = ["0.00005", "0.0005", "0.005", "0.05", "1"].map(RoutingFixtures.usd)
                    .randomElement(using: &rng)!
            }
            if Int.random(in: 0..<4, using: &rng) == 0 {
                hints.maxLatencyMs = [100, 800, 2_500, 20_000].randomElement(using: &rng)!
            }
            if Int.random(in: 0..<5, using: &rng) == 0 { hints.tags = ["realtime"] }
            let input = [1, 300, 4_000, 60_000, 150_000, 900_000].randomElement(using: &rng)!
            let batch = modality == .batch ? Int.random(in: 1...50, using: &rng) : 1
            let profile = RequestProfile(
                requestID: "choice-\(iteration)", tenantID: tenants.randomElement(using: &rng)!, modality: modality,
                usageModality: images > 0 ? .multimodal : .text, classifierText: "", promptBytes: input * 4,
                inputTokens: input, imageCount: images, batchCount: batch,
                batchItems: (0..<(modality == .batch ? batch : 0)).map { BatchItem(id: "\($0)", text: "item") },
                requestedOutputTokens: [nil, 1, 500, 16_000, 200_000].randomElement(using: &rng)!, hints: hints)
            let classification = Classification(
                category: TaskCategory.allCases.randomElement(using: &rng)!,
                difficulty: Difficulty.allCases.randomElement(using: &rng)!,
                confidence: Double.random(in: 0...1, using: &rng),
                classifier: ["learned", "recorded", "heuristic"].randomElement(using: &rng)!)
            var health: [ModelID: ModelHealth] = [:]
            for model in catalog.models where Int.random(in: 0..<8, using: &rng) == 0 {
                health[model.id] = ModelHealth(
                    p50Ms: Int.random(in: 30...12_000, using: &rng), p95Ms: 15_000,
                    errorRate: Double.random(in: 0...0.6, using: &rng), samples: Int.random(in: 0...300, using: &rng))
            }
            let spend = [nil, "0", "0.99", "1", "4.999", "5", "49", "199.9", "200", "4999", "6000"]
                .randomElement(using: &rng)!.map(RoutingFixtures.usd)
            let signals = SignalsSnapshot(monthToDateSpend: spend, health: health)
            let context =
                "case \(iteration): \(profile.tenantID) \(modality) \(hints) spend \(String(describing: spend))"

            let decision: RouteDecision
            do {
                decision = try router.decide(profile, classification: classification, signals: signals)
            } catch {
                do {
                    let choice = try router.choose(profile, classification: classification, signals: signals)
                    XCTFail("\(context): decide threw \(error.errorType), choose chose \(choice)")
                } catch let chosen {
                    XCTAssertEqual(chosen.errorType, error.errorType, context)
                    XCTAssertEqual(chosen.errorMessage, error.errorMessage, context)
                }
                outcomes[error.errorType, default: 0] += 1
                continue
            }
            let choice: RouteChoice
            do {
                choice = try router.choose(profile, classification: classification, signals: signals)
            } catch {
                XCTFail("\(context): decide decided, choose threw \(error.errorType)")
                continue
            }
            let first: ModelID? =
                switch choice.role {
                case .llm: decision.llm?.candidates.first?.model
                case .vision: decision.vision?.candidates.first?.model
                case .embedding: decision.embedding?.candidates.first?.model
                }
            XCTAssertEqual(choice.model, first, context)
            XCTAssertEqual(choice.route, decision.route, context)
            XCTAssertEqual(choice.downgraded, decision.budget?.downgraded ?? false, context)
            XCTAssertEqual(choice.role == .llm, decision.llm != nil, context)
            outcomes["\(choice.role)", default: 0] += 1
        }
        // The inputs reach every kind of outcome the what-if meets.
        for kind in ["llm", "vision", "embedding", "Router.BudgetExceeded", "Router.UnknownTenant"] {
            XCTAssertGreaterThan(outcomes[kind] ?? 0, 0, "\(kind): \(outcomes)")
        }
    }
}
