import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouterFunction
import SwitchyardRouting
import XCTest

/// How the learned classifier's verdict steers routing: the confidence threshold and its safe
/// default, the difficulty rules, and the frozen quality table.
final class LearnedRoutingTests: XCTestCase {
    let router = RoutingFixtures.router
    var threshold: Double { RoutingFixtures.policy.classifier.confidenceThreshold }

    func decide(
        tenant: String, _ category: TaskCategory, _ difficulty: Difficulty, confidence: Double = 0.9,
        classifier: String = "learned", prompt: String = "Please help with this request."
    ) throws -> RouteDecision {
        let profile = try RequestProfile(
            RoutingFixtures.request(tenant: tenant, prompt: prompt), limits: RoutingFixtures.policy.limits)
        return try router.decide(
            profile,
            classification: Classification(
                category: category, difficulty: difficulty, confidence: confidence, classifier: classifier))
    }

    func quality(_ model: ModelID?, _ category: TaskCategory) -> Double {
        model.flatMap { router.table.model($0)?.quality[category.rawValue] } ?? 0
    }

    // MARK: - Confidence threshold

    func testSafeDefaultAppliesStrictlyBelowTheThreshold() throws {
        XCTAssertEqual(threshold, 0.5)
        let below = try decide(tenant: "lexcorp-legal", .chat, .easy, confidence: threshold - 0.001)
        XCTAssertEqual(below.matchedRule, "uncertain-safe-default")
        XCTAssertEqual(below.qualityFloor, 0.86)
        let at = try decide(tenant: "lexcorp-legal", .chat, .easy, confidence: threshold)
        XCTAssertNotEqual(at.matchedRule, "uncertain-safe-default")
        XCTAssertEqual(at.primaryModel, "gpt-4o-mini", "a confident easy chat takes the cheapest model above 0.78")
        XCTAssertGreaterThan(below.estimatedCostPicoUSD, at.estimatedCostPicoUSD, "the safe default costs more")
    }

    func testOnlyLearnedVerdictsAreUncertain() throws {
        for classifier in ["heuristic", "llm", "hint"] {
            let d = try decide(tenant: "lexcorp-legal", .chat, .easy, confidence: 0.1, classifier: classifier)
            XCTAssertNotEqual(d.matchedRule, "uncertain-safe-default", classifier)
        }
    }

    func testUncertainLegalAndMedicalNeverGetTheCheapestModel() throws {
        for tenant in ["acme-startup", "lexcorp-legal", "initech"] {
            for category in [TaskCategory.legal, .medical] {
                let d = try decide(tenant: tenant, category, .easy, confidence: 0.2)
                let cheapest = d.candidates.filter { $0.role == .llm && $0.quality != nil }
                    .min { $0.estimatedCostPicoUSD < $1.estimatedCostPicoUSD }
                XCTAssertNotEqual(d.primaryModel, cheapest?.model, "\(tenant) \(category)")
                XCTAssertGreaterThanOrEqual(quality(d.primaryModel, category), 0.73, "\(tenant) \(category)")
            }
        }
    }

    // MARK: - Difficulty

    func testEasyLegalOnEnterpriseTakesAMidTierModelAndHardTakesTheBest() throws {
        let easy = try decide(tenant: "initech", .legal, .easy)
        let hard = try decide(tenant: "initech", .legal, .hard)
        XCTAssertEqual(easy.matchedRule, "legal-medical-routine")
        XCTAssertEqual(hard.matchedRule, "legal-medical-accuracy")
        XCTAssertEqual(hard.primaryModel, "claude-3-opus")
        XCTAssertNotEqual(easy.primaryModel, "claude-3-opus")
        XCTAssertGreaterThanOrEqual(quality(easy.primaryModel, .legal), 0.86)
        XCTAssertLessThan(try easy.estimatedCostPicoUSD.multiplied(by: 3), hard.estimatedCostPicoUSD)
    }

    func testRoutineEnterpriseRequestsSaveAgainstTheTierDefault() throws {
        let easy = try decide(tenant: "initech", .creative, .easy)
        let hard = try decide(tenant: "initech", .creative, .hard)
        XCTAssertEqual(easy.matchedRule, "enterprise-routine")
        XCTAssertEqual(hard.strategy, .best)
        XCTAssertLessThan(easy.estimatedCostPicoUSD, hard.estimatedCostPicoUSD)
        XCTAssertGreaterThanOrEqual(quality(easy.primaryModel, .creative), 0.83)
    }

    func testHardRequestsInACheapCategoryEscalate() throws {
        let easy = try decide(tenant: "lexcorp-legal", .summarization, .easy)
        let hard = try decide(tenant: "lexcorp-legal", .summarization, .hard)
        XCTAssertEqual(hard.matchedRule, "hard-escalate")
        XCTAssertEqual(hard.strategy, .best)
        XCTAssertGreaterThan(quality(hard.primaryModel, .summarization), quality(easy.primaryModel, .summarization))
        let basicHard = try decide(tenant: "acme-startup", .chat, .hard)
        XCTAssertEqual(basicHard.matchedRule, "hard-escalate")
        XCTAssertEqual(basicHard.primaryModel, "gpt-4o-mini", "basic's best chat model")
    }

    func testAVisionQuestionWithoutTheImageGoesToAModelThatCanSee() throws {
        let d = try decide(tenant: "lexcorp-legal", .visionQA, .easy)
        XCTAssertEqual(d.route, .llm)
        XCTAssertTrue(
            router.table.model(d.primaryModel!)?.capabilities.contains(.vision) ?? false,
            "\(String(describing: d.primaryModel))")
    }

    // MARK: - Frozen quality table

    /// The fingerprint hashes its bytes as it makes them; the reference formats each score into a
    /// string first, as the definition reads. Scores across the whole 0...1 range, rounding included.
    func testTheFingerprintIsItsDefinition() throws {
        func reference(_ catalog: Catalog) -> String {
            // FNV-1a 64's published constants.
            var hash: UInt64 = 0xcbf2_9ce4_8422_2325
            func add(_ text: String) { for b in text.utf8 { hash = (hash ^ UInt64(b)) &* 0x100_0000_01b3 } }
            for model in catalog.models {
                add(model.id.rawValue + ":")
                for (category, score) in model.quality.sorted(by: { $0.key < $1.key }) {
                    add("\(category)=\(Int((score * 1000).rounded())),")
                }
                add(";")
            }
            let digits = String(hash, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }
        let shipped = RoutingFixtures.bundle.catalog
        XCTAssertEqual(shipped.qualityFingerprint, reference(shipped))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            var models = shipped.models
            for i in models.indices {
                for category in models[i].quality.keys {
                    models[i].quality[category] = [0, 1, 0.0005, 0.9995, Double.random(in: 0...1, using: &generator)]
                        .randomElement(using: &generator)!
                }
            }
            let catalog = try Catalog(version: shipped.version, models: models)
            XCTAssertEqual(catalog.qualityFingerprint, reference(catalog))
        }
    }

    func testTheCommittedQualityTableMatchesItsVersion() {
        let bundle = RoutingFixtures.bundle
        XCTAssertEqual(bundle.qualityVersion?.fingerprint, bundle.catalog.qualityFingerprint)
        // The router-quality evaluation ran against catalog-quality-2026-11-25.1 (4ceb84fb6d0cfe0d);
        // 2026-11-30.1 adds the container detector and moves no LLM score; 2026-11-30.2 adds the
        // local e5-small embedding models (retrieval) and moves no other score.
        XCTAssertEqual(bundle.qualityVersion?.id, "catalog-quality-2026-11-30.2")
        XCTAssertEqual(bundle.qualityVersion?.fingerprint, "3028dd56d8f08e5c")
    }

    func testEditingAQualityScoreWithoutANewVersionIsRejected() throws {
        var json = RoutingFixtures.json(RoutingFixtures.files.catalog)
        var models = json["models"] as! [[String: Any]]
        var quality = models[0]["quality"] as! [String: Any]
        quality["chat"] = 0.94
        models[0]["quality"] = quality
        json["models"] = models
        XCTAssertThrowsError(
            try RoutingBundle.parse(
                RoutingFixtures.documents(catalog: RoutingFixtures.bytes(json)), pricesAt: RoutingFixtures.pricesAt)
        ) { error in
            guard case .inconsistent(let path, let problem)? = error as? BundleError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, "catalog.qualityVersion.fnv1a64")
            XCTAssertTrue(problem.contains("frozen 3028dd56d8f08e5c"), problem)
        }
    }

    func testLearnedModeNeedsAModel() throws {
        var json = RoutingFixtures.json(RoutingFixtures.files.policy)
        var classifier = json["classifier"] as! [String: Any]
        classifier["learned"] = nil
        json["classifier"] = classifier
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "classifier.learned")
        }
    }

    // MARK: - Handler init

    func testHandlerInitRejectsACorruptModelWithATypedError() throws {
        let dir = NSTemporaryDirectory() + "router-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/classifier", withIntermediateDirectories: true)
        // Truncated: the sizes the format bounds are checked at init; the checksum is not (the zip
        // is checked as a whole, NGramModel.load), so a damaged trailer alone would load.
        let model = try Data(contentsOf: URL(fileURLWithPath: NGramClassifierTests.modelPath)).dropLast(100)
        try model.write(to: URL(fileURLWithPath: dir + "/" + NGramClassifierTests.modelFile))
        for name in ["policy.json", "catalog.json", "rates.json"] {
            try Data(contentsOf: URL(fileURLWithPath: RoutingFixtures.repoRoot + "/infra/" + name))
                .write(to: URL(fileURLWithPath: dir + "/" + name))
        }
        let environment = Environment(["SWITCHYARD_BUNDLE_DIR": dir])
        XCTAssertThrowsError(try RouterHandler(configuration: RouterConfiguration(environment: environment))) {
            error in
            XCTAssertEqual((error as? ClassifierModelError)?.errorType, "Router.InvalidClassifier")
        }
        try FileManager.default.removeItem(atPath: dir + "/" + NGramClassifierTests.modelFile)
        XCTAssertThrowsError(try RouterHandler(configuration: RouterConfiguration(environment: environment))) {
            error in
            guard case .unreadable? = error as? ClassifierModelError else { return XCTFail("\(error)") }
        }
    }

    func testHandlerUsesTheLearnedClassifierByDefault() async throws {
        let handler = try RouterHandler(
            configuration: RouterConfiguration(
                environment: Environment(["SWITCHYARD_BUNDLE_DIR": RoutingFixtures.repoRoot + "/infra"])))
        XCTAssertNotNil(handler.learned)
        let d = await handler.route(
            RoutingFixtures.request(tenant: "acme-startup", prompt: "Write a haiku about the first snow of winter."),
            deadline: .now + .seconds(3))
        XCTAssertEqual(d.classification?.classifier, "learned")
        XCTAssertEqual(d.classification?.category, .creative)
    }
}
