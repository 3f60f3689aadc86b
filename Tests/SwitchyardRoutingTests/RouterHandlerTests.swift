import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardRuntime
import XCTest

final class RouterHandlerTests: XCTestCase {
    func makeHandler(
        transport: (any ClassifierTransport)? = nil, classifierMode: String? = nil, enterpriseClassifier: String? = nil
    ) throws -> RouterHandler {
        var path = RoutingFixtures.repoRoot + "/infra/policy.json"
        if classifierMode != nil || enterpriseClassifier != nil {
            var json = RoutingFixtures.policyJSON()
            var classifier = json["classifier"] as! [String: Any]
            if let classifierMode { classifier["mode"] = classifierMode }
            var learned = classifier["learned"] as! [String: Any]
            learned["file"] =
                RoutingFixtures.repoRoot + "/infra/classifier/" + (learned["file"] as! String).split(separator: "/")
                .last!
            classifier["learned"] = learned
            json["classifier"] = classifier
            if let enterpriseClassifier {
                var tiers = json["tiers"] as! [String: Any]
                var enterprise = tiers["enterprise"] as! [String: Any]
                enterprise["classifier"] = enterpriseClassifier
                tiers["enterprise"] = enterprise
                json["tiers"] = tiers
            }
            path = NSTemporaryDirectory() + "policy-\(UUID().uuidString).json"
            try Data(RoutingFixtures.bytes(json)).write(to: URL(fileURLWithPath: path))
        }
        let configuration = try RouterConfiguration(
            environment: Environment([
                "SWITCHYARD_POLICY": path,
                "SWITCHYARD_SIGNALS_FILE": RoutingFixtures.repoRoot + "/infra/local/router-signals.json",
            ]))
        return try RouterHandler(configuration: configuration, transport: transport)
    }

    func event(_ name: String) throws -> RouterInput {
        let bytes = try Array(
            Data(contentsOf: URL(fileURLWithPath: RoutingFixtures.repoRoot + "/events/router/\(name)")))
        return try JSON.decode(RouterInput.self, from: bytes)
    }

    func testSampleEventsRouteAsDocumented() async throws {
        let handler = try makeHandler()
        let expected: [String: String] = [
            "chat-basic.json": "llm", "legal-pro.json": "llm", "image-detect.json": "vision",
            "image-question.json": "vision+llm",
            "batch-labeling.json": "batch", "batch-images.json": "batch", "explicit-model.json": "llm",
            "realtime-chat.json": "llm",
            "cheapest-hint-code.json": "llm", "over-budget-downgrade.json": "llm", "local-model.json": "llm",
            "over-budget-reject.json": "Router.BudgetExceeded",
            "error-model-not-allowed.json": "Router.ModelNotAllowed",
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: RoutingFixtures.repoRoot + "/events/router")
            .filter { $0.hasSuffix(".json") }
        XCTAssertEqual(Set(files), Set(expected.keys), "every sample event has an expectation")
        for (file, outcome) in expected {
            do {
                let decision = try await handler.route(try event(file), deadline: .now + .seconds(3))
                XCTAssertEqual(decision.backend.rawValue, outcome, file)
                XCTAssertFalse(decision.explanation.isEmpty)
                XCTAssertEqual(decision.requestID, try event(file).requestID)
            } catch let error as RouterError {
                XCTAssertEqual(error.errorType, outcome, "\(file): \(error.errorMessage)")
            }
        }
        let legal = try await handler.route(try event("legal-pro.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(legal.classification.category, .legal)
        XCTAssertEqual(legal.matchedRule, "legal-medical-accuracy")
        let downgraded = try await handler.route(try event("over-budget-downgrade.json"), deadline: .now + .seconds(3))
        XCTAssertTrue(downgraded.budget.downgraded)
        let explicit = try await handler.route(try event("explicit-model.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(explicit.primary.model, "claude-3-opus")
    }

    func testHandleThroughTheByteAdapterProducesDecisionJSON() async throws {
        let handler = CodableByteHandler(try makeHandler())
        let context = InvocationContext(
            requestID: "r-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 3000, invokedFunctionARN: "arn:router"
        )
        let out = try await handler.handle(
            Array(#"{"tenant_id":"acme-startup","prompt":"hello there"}"#.utf8), context: context)
        let json = try JSON.parse(out)
        XCTAssertEqual(json["backend"]?.stringValue, "llm")
        XCTAssertEqual(json["tenant_id"]?.stringValue, "acme-startup")
        XCTAssertNotNil(json["candidates"]?[0]?["estimated_cost_micro_usd"]?.int64Value)
    }

    func testHybridClassifierAsksTheModelOnlyWhenTheLearnedOneIsUnsure() async throws {
        let endpoint = FakeChatEndpoint(content: #"{"category": "creative", "difficulty": "easy"}"#)
        let handler = try makeHandler(transport: endpoint, enterpriseClassifier: "hybrid")
        let threshold = handler.router.table.policy.classifier.confidenceThreshold
        // A clear translation request stays with the learned model…
        let clear = try await handler.route(
            RouterInput(tenantID: "initech", prompt: "Translate into French: the invoice is attached."),
            deadline: .now + .seconds(3))
        XCTAssertEqual(clear.classification.classifier, "learned")
        XCTAssertGreaterThanOrEqual(clear.classification.confidence, threshold)
        XCTAssertTrue(endpoint.requests.isEmpty)
        // …a vague one (below the threshold) goes to the model.
        let vague = "zebra quantum teapot"
        let learned = try XCTUnwrap(handler.learned).classify(
            ClassificationInput(text: vague, imageCount: 0, modality: .text))
        XCTAssertLessThan(learned.confidence, threshold)
        let asked = try await handler.route(
            RouterInput(tenantID: "initech", prompt: vague), deadline: .now + .seconds(3))
        XCTAssertEqual(asked.classification.classifier, "llm")
        XCTAssertEqual(asked.classification.category, .creative)
        XCTAssertEqual(endpoint.requests.count, 1)
        // Basic tier uses the policy's learned mode: never asks, and the unsure verdict takes the safe default.
        let basic = try await handler.route(
            RouterInput(tenantID: "acme-startup", prompt: vague), deadline: .now + .seconds(3))
        XCTAssertEqual(endpoint.requests.count, 1)
        XCTAssertEqual(basic.classification.classifier, "learned")
        XCTAssertEqual(basic.matchedRule, "uncertain-safe-default")
    }

    func testLLMModeWithUnreachableEndpointStillRoutes() async throws {
        // A real libcurl transport to a closed port: connection refused, heuristic answers.
        var json = RoutingFixtures.policyJSON()
        json["classifier"] = [
            "mode": "llm", "model": "smollm2-135m", "base_url": "http://127.0.0.1:9/v1", "timeout_ms": 500,
            "confidence_threshold": 0.3,
        ]
        let path = NSTemporaryDirectory() + "policy-\(UUID().uuidString).json"
        try Data(RoutingFixtures.bytes(json)).write(to: URL(fileURLWithPath: path))
        let handler = try RouterHandler(configuration: RouterConfiguration(policyPath: path))
        let start = ContinuousClock.now
        let decision = try await handler.route(
            RouterInput(tenantID: "acme-startup", prompt: "Summarize this memo please"), deadline: .now + .seconds(3))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        XCTAssertEqual(decision.classification.classifier, "heuristic")
        XCTAssertTrue(
            decision.classification.fallbackReason?.contains("failed") ?? false,
            String(describing: decision.classification.fallbackReason))
        XCTAssertEqual(decision.classification.category, .summarization)
    }

    func testBadPolicyIsAnInitError() {
        XCTAssertThrowsError(try RouterHandler(configuration: RouterConfiguration(policyPath: "/nonexistent.json"))) {
            error in
            XCTAssertEqual((error as? PolicyError)?.errorType, "Router.PolicyUnreadable")
        }
    }

    func testConfigurationDefaults() throws {
        let root = RoutingFixtures.repoRoot + "/infra"
        let lambda = try RouterConfiguration(environment: Environment(["LAMBDA_TASK_ROOT": root]))
        XCTAssertEqual(lambda.policyPath, root + "/policy.json", "a task root holding policy.json wins")
        let explicit = try RouterConfiguration(
            environment: Environment(["SWITCHYARD_POLICY": "/etc/p.json", "LAMBDA_TASK_ROOT": root]))
        XCTAssertEqual(explicit.policyPath, "/etc/p.json")
        XCTAssertThrowsError(try RouterConfiguration(environment: Environment(["ROUTER_SIGNALS_TTL_MS": "soon"])))
    }
}
