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
    ) throws -> SwitchyardRouting.RouteDecision {
        let profile = try RequestProfile(
            RoutingFixtures.input(tenant: tenant, prompt: prompt), limits: RoutingFixtures.policy.limits)
        return try router.decide(
            profile,
            classification: Classification(
                category: category, difficulty: difficulty, confidence: confidence, classifier: classifier))
    }

    func quality(_ model: String, _ category: TaskCategory) -> Double {
        router.table.model(model)?.quality[category.rawValue] ?? 0
    }

    // MARK: - Confidence threshold

    func testSafeDefaultAppliesStrictlyBelowTheThreshold() throws {
        XCTAssertEqual(threshold, 0.5)
        let below = try decide(tenant: "lexcorp-legal", .chat, .easy, confidence: threshold - 0.001)
        XCTAssertEqual(below.matchedRule, "uncertain-safe-default")
        XCTAssertEqual(below.qualityFloor, 0.88)
        let at = try decide(tenant: "lexcorp-legal", .chat, .easy, confidence: threshold)
        XCTAssertNotEqual(at.matchedRule, "uncertain-safe-default")
        XCTAssertEqual(at.primary.model, "gpt-4o-mini", "a confident easy chat takes the cheapest model above 0.8")
        XCTAssertGreaterThan(
            below.primary.estimatedCostMicroUSD, at.primary.estimatedCostMicroUSD, "the safe default costs more")
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
                    .min { $0.estimatedCostMicroUSD < $1.estimatedCostMicroUSD }
                XCTAssertNotEqual(d.primary.model, cheapest?.model, "\(tenant) \(category)")
                XCTAssertGreaterThanOrEqual(quality(d.primary.model, category), 0.73, "\(tenant) \(category)")
            }
        }
    }

    // MARK: - Difficulty

    func testEasyLegalOnEnterpriseTakesAMidTierModelAndHardTakesTheBest() throws {
        let easy = try decide(tenant: "initech", .legal, .easy)
        let hard = try decide(tenant: "initech", .legal, .hard)
        XCTAssertEqual(easy.matchedRule, "legal-medical-routine")
        XCTAssertEqual(hard.matchedRule, "legal-medical-accuracy")
        XCTAssertEqual(hard.primary.model, "claude-3-opus")
        XCTAssertNotEqual(easy.primary.model, "claude-3-opus")
        XCTAssertGreaterThanOrEqual(quality(easy.primary.model, .legal), 0.88)
        XCTAssertLessThan(easy.estimatedCostMicroUSD * 3, hard.estimatedCostMicroUSD)
    }

    func testRoutineEnterpriseRequestsSaveAgainstTheTierDefault() throws {
        let easy = try decide(tenant: "initech", .creative, .easy)
        let hard = try decide(tenant: "initech", .creative, .hard)
        XCTAssertEqual(easy.matchedRule, "enterprise-routine")
        XCTAssertEqual(hard.strategy, .best)
        XCTAssertLessThan(easy.estimatedCostMicroUSD, hard.estimatedCostMicroUSD)
        XCTAssertGreaterThanOrEqual(quality(easy.primary.model, .creative), 0.85)
    }

    func testHardRequestsInACheapCategoryEscalate() throws {
        let easy = try decide(tenant: "lexcorp-legal", .summarization, .easy)
        let hard = try decide(tenant: "lexcorp-legal", .summarization, .hard)
        XCTAssertEqual(hard.matchedRule, "hard-escalate")
        XCTAssertEqual(hard.strategy, .best)
        XCTAssertGreaterThan(quality(hard.primary.model, .summarization), quality(easy.primary.model, .summarization))
        let basicHard = try decide(tenant: "acme-startup", .chat, .hard)
        XCTAssertEqual(basicHard.matchedRule, "hard-escalate")
        XCTAssertEqual(basicHard.primary.model, "gpt-4o-mini", "basic's best chat model")
    }

    func testAVisionQuestionWithoutTheImageGoesToAModelThatCanSee() throws {
        let d = try decide(tenant: "lexcorp-legal", .visionQA, .easy)
        XCTAssertEqual(d.backend, .llm)
        XCTAssertTrue(router.table.model(d.primary.model)?.capabilities.contains(.vision) ?? false, d.primary.model)
    }

    // MARK: - Frozen quality table

    func testTheCommittedQualityTableMatchesItsVersion() {
        XCTAssertEqual(RoutingFixtures.policy.qualityVersion?.fingerprint, RoutingFixtures.policy.qualityFingerprint)
    }

    func testEditingAQualityScoreWithoutANewVersionIsRejected() throws {
        var json = RoutingFixtures.policyJSON()
        var models = json["models"] as! [[String: Any]]
        var quality = models[0]["quality"] as! [String: Any]
        quality["chat"] = 0.94
        models[0]["quality"] = quality
        json["models"] = models
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "quality_version.fnv1a64")
        }
    }

    func testLearnedModeNeedsAModel() throws {
        var json = RoutingFixtures.policyJSON()
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
        var model = try Data(contentsOf: URL(fileURLWithPath: NGramClassifierTests.modelPath))
        model[model.count - 1] ^= 0xFF
        try model.write(to: URL(fileURLWithPath: dir + "/classifier/router-ngram-1.bin"))
        try Data(contentsOf: URL(fileURLWithPath: RoutingFixtures.repoRoot + "/infra/policy.json"))
            .write(to: URL(fileURLWithPath: dir + "/policy.json"))
        XCTAssertThrowsError(try RouterHandler(configuration: RouterConfiguration(policyPath: dir + "/policy.json"))) {
            error in
            XCTAssertEqual((error as? ClassifierModelError)?.errorType, "Router.InvalidClassifier")
        }
        try FileManager.default.removeItem(atPath: dir + "/classifier/router-ngram-1.bin")
        XCTAssertThrowsError(try RouterHandler(configuration: RouterConfiguration(policyPath: dir + "/policy.json"))) {
            error in
            guard case .unreadable? = error as? ClassifierModelError else { return XCTFail("\(error)") }
        }
    }

    func testHandlerUsesTheLearnedClassifierByDefault() async throws {
        let handler = try RouterHandler(
            configuration: RouterConfiguration(policyPath: RoutingFixtures.repoRoot + "/infra/policy.json"))
        XCTAssertNotNil(handler.learned)
        let d = try await handler.route(
            RouterInput(tenantID: "acme-startup", prompt: "Write a haiku about the first snow of winter."),
            deadline: .now + .seconds(3))
        XCTAssertEqual(d.classification.classifier, "learned")
        XCTAssertEqual(d.classification.category, .creative)
    }
}
