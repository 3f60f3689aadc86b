import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardRuntime
import XCTest

final class RouterHandlerTests: XCTestCase {
    /// A copy of the repository bundle in a temporary folder, optionally with the policy edited.
    func bundleDir(editPolicy: ((inout [String: Any]) -> Void)? = nil) throws -> String {
        let dir = NSTemporaryDirectory() + "bundle-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir + "/local", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/classifier", withIntermediateDirectories: true)
        for name in [
            "policy.json", "catalog.json", "rates.json", "local/router-signals.json", NGramClassifierTests.modelFile,
        ] {
            try FileManager.default.copyItem(
                atPath: RoutingFixtures.repoRoot + "/infra/" + name, toPath: dir + "/" + name)
        }
        if let editPolicy {
            var json = RoutingFixtures.json(dir + "/policy.json")
            editPolicy(&json)
            try Data(RoutingFixtures.bytes(json)).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        }
        return dir
    }

    func makeHandler(
        transport: (any HTTPTransport)? = nil, environment: [String: String] = [:],
        editPolicy: ((inout [String: Any]) -> Void)? = nil
    ) throws -> RouterHandler {
        let dir = try bundleDir(editPolicy: editPolicy)
        let configuration = try RouterConfiguration(
            environment: Environment(
                ["SWITCHYARD_BUNDLE_DIR": dir, "SWITCHYARD_SIGNALS_FILE": "local/router-signals.json"].merging(
                    environment
                ) { $1 }))
        return try RouterHandler(configuration: configuration, transport: transport)
    }

    func event(_ name: String) throws -> InferenceRequest {
        let bytes = try Array(
            Data(contentsOf: URL(fileURLWithPath: RoutingFixtures.repoRoot + "/events/router/\(name)")))
        return try JSON.decode(InferenceRequest.self, from: bytes)
    }

    func testSampleEventsRouteAsDocumented() async throws {
        let handler = try makeHandler()
        let expected: [String: String] = [
            "chat-basic.json": "llm", "legal-pro.json": "llm", "image-detect.json": "vision",
            "image-question.json": "vision+llm", "batch-labeling.json": "batch", "batch-images.json": "batch",
            "explicit-model.json": "llm", "realtime-chat.json": "llm", "cheapest-hint-code.json": "llm",
            "over-budget-downgrade.json": "llm", "local-model.json": "llm",
            "over-budget-reject.json": "Router.BudgetExceeded",
            "error-model-not-allowed.json": "Router.ModelNotAllowed",
        ]
        let files = try FileManager.default.contentsOfDirectory(atPath: RoutingFixtures.repoRoot + "/events/router")
            .filter { $0.hasSuffix(".json") }
        XCTAssertEqual(Set(files), Set(expected.keys), "every sample event has an expectation")
        for (file, outcome) in expected {
            let request = try event(file)
            let decision = await handler.route(request, deadline: .now + .seconds(3))
            XCTAssertEqual(decision.requestID, request.requestID)
            XCTAssertFalse(decision.explanation.isEmpty)
            if outcome.hasPrefix("Router.") {
                XCTAssertEqual(decision.route, .rejected, file)
                XCTAssertEqual(decision.rejection?.errorType, outcome, file)
            } else {
                XCTAssertEqual(decision.route.rawValue, outcome, "\(file): \(decision.explanation)")
            }
        }
        let legal = await handler.route(try event("legal-pro.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(legal.classification?.category, .legal)
        XCTAssertEqual(legal.matchedRule, "legal-medical-accuracy")
        let downgraded = await handler.route(try event("over-budget-downgrade.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(downgraded.budget?.downgraded, true)
        let explicit = await handler.route(try event("explicit-model.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(explicit.primaryModel, "claude-3-opus")
        XCTAssertEqual(explicit.llm?.maxOutputTokens, 600)
        let local = await handler.route(try event("local-model.json"), deadline: .now + .seconds(3))
        XCTAssertEqual(local.llm?.maxOutputTokens, 48)
    }

    func testTheRouterReportsItsOwnInvocation() async throws {
        let handler = try makeHandler(environment: ["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256"])
        let context = InvocationContext(
            requestID: "lambda-req-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 3000,
            invokedFunctionARN: "arn:router")
        let before = WallClock.nowMilliseconds()
        let decision = try await handler.handle(try event("chat-basic.json"), context: context)
        let record = try XCTUnwrap(decision.usage.first)
        XCTAssertEqual(decision.usage.count, 1)
        XCTAssertEqual(record.requestID, "evt-chat-basic-1")
        XCTAssertEqual(record.step, "router")
        XCTAssertEqual(record.invocationID, "lambda-req-1")
        XCTAssertEqual(record.attempt, 0)
        XCTAssertEqual(record.tenant, "acme-startup")
        XCTAssertEqual(record.user, "u-1042")
        XCTAssertEqual(record.tier, "basic")
        XCTAssertEqual(record.status, .succeeded)
        XCTAssertEqual(record.backend, .lambda)
        XCTAssertEqual(record.modality, .text)
        XCTAssertEqual(record.category, decision.classification?.category)
        XCTAssertEqual(record.difficulty, decision.classification?.difficulty)
        XCTAssertEqual(record.bundleVersion, decision.bundleVersion)
        XCTAssertEqual(record.estimatedCostPicoUSD, decision.estimatedCostPicoUSD)
        XCTAssertNil(record.model, "the router calls no model")
        XCTAssertGreaterThanOrEqual(record.timestamp, before)
        let compute = try XCTUnwrap(record.compute)
        XCTAssertEqual(compute.kind, "lambda")
        XCTAssertEqual(compute.memoryMB, 256)
        XCTAssertEqual(compute.architecture, ComputeEnvironment.binaryArchitecture)
        XCTAssertGreaterThanOrEqual(compute.durationMs, 1, "Lambda bills at least one millisecond")
        XCTAssertEqual(compute.durationMs, record.latency.totalMs)

        let refused = try await handler.handle(try event("over-budget-reject.json"), context: context)
        XCTAssertEqual(refused.route, .rejected)
        XCTAssertEqual(refused.usage.first?.status, .rejected)
        XCTAssertEqual(refused.usage.first?.errorType, "Router.BudgetExceeded")
        XCTAssertEqual(refused.usage.first?.tier, "basic")
    }

    func testOnlyAnEventThatDoesNotDecodeIsALambdaError() async throws {
        let handler = CodableByteHandler(try makeHandler())
        let context = InvocationContext(
            requestID: "r-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 3000, invokedFunctionARN: "arn:router"
        )
        let out = try await handler.handle(
            Array(
                #"{"requestId":"r","tenantId":"acme-startup","messages":[{"role":"user","content":"hello there"}]}"#
                    .utf8),
            context: context)
        let json = try JSON.parse(out)
        XCTAssertEqual(json["route"]?.stringValue, "llm")
        XCTAssertEqual(json["tenantId"]?.stringValue, "acme-startup")
        XCTAssertNotNil(json["candidates"]?[0]?["estimatedCostPicoUSD"]?.int64Value)
        XCTAssertEqual(json["usage"]?[0]?["invocationId"]?.stringValue, "r-1")

        // A refusal is output…
        let refused = try JSON.parse(
            try await handler.handle(
                Array(#"{"requestId":"r","tenantId":"nobody","messages":[{"role":"user","content":"hi"}]}"#.utf8),
                context: context))
        XCTAssertEqual(refused["route"]?.stringValue, "rejected")
        XCTAssertEqual(refused["rejection"]?["errorType"]?.stringValue, "Router.UnknownTenant")
        // …a document that is not an InferenceRequest is the one Lambda error.
        for bad in [#"{"tenantId": 42}"#, #"{"requestId":"r","tenantId":"t","hints":{"route":"cheap"}}"#, "[]"] {
            do {
                _ = try await handler.handle(Array(bad.utf8), context: context)
                XCTFail("expected Runtime.InvalidEvent for \(bad)")
            } catch let error as RuntimeError {
                XCTAssertEqual(error.errorType, "Runtime.InvalidEvent")
            }
        }
    }

    func testHybridClassifierAsksTheModelOnlyWhenTheLearnedOneIsUnsure() async throws {
        let endpoint = FakeChatEndpoint(content: #"{"category": "creative", "difficulty": "easy"}"#)
        // The shipped policy names no classifier address; the deployment gives it.
        let handler = try makeHandler(
            transport: endpoint, environment: ["SWITCHYARD_CLASSIFIER_URL": "http://127.0.0.1:8765/v1"]
        ) { json in
            var tiers = json["tiers"] as! [String: Any]
            var enterprise = tiers["enterprise"] as! [String: Any]
            enterprise["classifier"] = "hybrid"
            tiers["enterprise"] = enterprise
            json["tiers"] = tiers
        }
        let threshold = RoutingFixtures.policy.classifier.confidenceThreshold
        // A clear translation request stays with the learned model…
        let clear = await handler.route(
            RoutingFixtures.request(tenant: "initech", prompt: "Translate into French: the invoice is attached."),
            deadline: .now + .seconds(3))
        XCTAssertEqual(clear.classification?.classifier, "learned")
        XCTAssertGreaterThanOrEqual(clear.classification?.confidence ?? 0, threshold)
        XCTAssertTrue(endpoint.requests.isEmpty)
        // …a vague one (below the threshold) goes to the model.
        let vague = "zebra quantum teapot"
        let learned = try XCTUnwrap(handler.learned).classify(
            ClassificationInput(text: vague, imageCount: 0, modality: .text))
        XCTAssertLessThan(learned.confidence, threshold)
        let asked = await handler.route(
            RoutingFixtures.request(tenant: "initech", prompt: vague), deadline: .now + .seconds(3))
        XCTAssertEqual(asked.classification?.classifier, "llm")
        XCTAssertEqual(asked.classification?.category, .creative)
        XCTAssertEqual(endpoint.requests.count, 1)
        XCTAssertEqual(endpoint.requests[0].url, "http://127.0.0.1:8765/v1/chat/completions")
        // Basic tier uses the policy's learned mode: never asks, and the unsure verdict takes the safe default.
        let basic = await handler.route(
            RoutingFixtures.request(tenant: "acme-startup", prompt: vague), deadline: .now + .seconds(3))
        XCTAssertEqual(endpoint.requests.count, 1)
        XCTAssertEqual(basic.classification?.classifier, "learned")
        XCTAssertEqual(basic.matchedRule, "uncertain-safe-default")
    }

    func testLLMModeWithUnreachableEndpointStillRoutes() async throws {
        // A real libcurl transport to a closed port: connection refused, heuristic answers.
        let handler = try makeHandler { json in
            json["classifier"] = [
                "mode": "llm", "model": "smollm2-135m", "base_url": "http://127.0.0.1:9/v1", "timeout_ms": 500,
                "confidence_threshold": 0.3,
            ]
        }
        let start = ContinuousClock.now
        let decision = await handler.route(
            RoutingFixtures.request(tenant: "acme-startup", prompt: "Summarize this memo please"),
            deadline: .now + .seconds(3))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(2))
        XCTAssertEqual(decision.classification?.classifier, "heuristic")
        XCTAssertTrue(
            decision.classification?.fallbackReason?.contains("failed") ?? false,
            String(describing: decision.classification?.fallbackReason))
        XCTAssertEqual(decision.classification?.category, .summarization)
    }

    func testABadBundleIsATypedInitError() throws {
        let missing = try bundleDir()
        try FileManager.default.removeItem(atPath: missing + "/catalog.json")
        XCTAssertThrowsError(try RouterConfiguration(environment: Environment(["SWITCHYARD_BUNDLE_DIR": missing]))) {
            XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.UnreadableFile")
        }
        let unknownModel = try bundleDir { json in
            var tiers = json["tiers"] as! [String: Any]
            var basic = tiers["basic"] as! [String: Any]
            basic["models"] = ["gpt-7"]
            tiers["basic"] = basic
            json["tiers"] = tiers
        }
        XCTAssertThrowsError(
            try RouterHandler(
                configuration: RouterConfiguration(environment: Environment(["SWITCHYARD_BUNDLE_DIR": unknownModel])))
        ) {
            XCTAssertEqual(($0 as? BundleError)?.errorType, "Router.InvalidBundle")
            XCTAssertTrue(($0 as? BundleError)?.errorMessage.contains("gpt-7") ?? false)
        }
    }

    func testBundleReloadsOnItsTTLAndKeepsTheLastGoodOne() async throws {
        let dir = try bundleDir()
        let handler = try RouterHandler(
            configuration: RouterConfiguration(
                environment: Environment(["SWITCHYARD_BUNDLE_DIR": dir, "SWITCHYARD_BUNDLE_TTL_MS": "0"])))
        let request = RoutingFixtures.request(tenant: "acme-startup", prompt: "hello")
        let first = await handler.route(request, deadline: .now + .seconds(2))
        XCTAssertEqual(first.budget?.monthlyBudgetPicoUSD, RoutingFixtures.usd("5"))

        // A new policy revision is picked up on the next invocation…
        var json = RoutingFixtures.json(dir + "/policy.json")
        json["policyId"] = "switchyard-test.2"
        var tiers = json["tiers"] as! [String: Any]
        var basic = tiers["basic"] as! [String: Any]
        basic["monthlyBudgetUSD"] = "7.50"
        tiers["basic"] = basic
        json["tiers"] = tiers
        try Data(RoutingFixtures.bytes(json)).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        let second = await handler.route(request, deadline: .now + .seconds(2))
        XCTAssertEqual(second.budget?.monthlyBudgetPicoUSD, RoutingFixtures.usd("7.5"))
        XCTAssertTrue(second.bundleVersion.hasPrefix("switchyard-test.2+"))

        // …a broken one is not: the last good bundle stays in force.
        try Data("{\"version\": 2, \"policyId\": ".utf8).write(to: URL(fileURLWithPath: dir + "/policy.json"))
        let third = await handler.route(request, deadline: .now + .seconds(2))
        XCTAssertEqual(third.route, .llm)
        XCTAssertEqual(third.bundleVersion, second.bundleVersion)
        // A catalog model without a rate is refused the same way.
        try FileManager.default.removeItem(atPath: dir + "/policy.json")
        try FileManager.default.copyItem(
            atPath: RoutingFixtures.repoRoot + "/infra/policy.json", toPath: dir + "/policy.json")
        var rates = RoutingFixtures.json(dir + "/rates.json")
        rates["models"] = (rates["models"] as! [[String: Any]]).filter { $0["model"] as? String != "gpt-4o-mini" }
        try Data(RoutingFixtures.bytes(rates)).write(to: URL(fileURLWithPath: dir + "/rates.json"))
        let fourth = await handler.route(request, deadline: .now + .seconds(2))
        XCTAssertEqual(fourth.bundleVersion, second.bundleVersion)
    }

    func testConfigurationReadsTheEnvironmentOnce() throws {
        let root = try bundleDir()
        let lambda = try RouterConfiguration(environment: Environment(["LAMBDA_TASK_ROOT": root]))
        XCTAssertEqual(lambda.bundle.policy, root + "/policy.json", "a task root holding the bundle wins")
        XCTAssertEqual(lambda.bundle.catalog, root + "/catalog.json")
        XCTAssertEqual(lambda.bundle.rates, root + "/rates.json")
        XCTAssertNil(lambda.signalsStore, "no MONGODB_URI: no live store")
        XCTAssertEqual(lambda.memoryMB, 128)
        XCTAssertEqual(lambda.signalsBudget, .seconds(1))

        let empty = try RouterConfiguration(environment: Environment(["LAMBDA_TASK_ROOT": root, "MONGODB_URI": ""]))
        XCTAssertNil(empty.signalsStore, "an empty MONGODB_URI means no live store")

        let live = try RouterConfiguration(
            environment: Environment([
                "LAMBDA_TASK_ROOT": root, "MONGODB_URI": "mongodb://127.0.0.1:1/?directConnection=true",
                "ROUTER_SIGNALS_BUDGET_MS": "400", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
            ]))
        let store = try XCTUnwrap(live.signalsStore)
        XCTAssertEqual(store.maxAttempts, 1, "one attempt: a stale budget beats a late decision")
        XCTAssertEqual(store.serverSelectionTimeoutMilliseconds, 200, "half the signals budget")
        XCTAssertEqual(live.memoryMB, 512)

        XCTAssertThrowsError(
            try RouterConfiguration(
                environment: Environment(["LAMBDA_TASK_ROOT": root, "ROUTER_SIGNALS_TTL_MS": "soon"])))
        XCTAssertThrowsError(
            try RouterConfiguration(
                environment: Environment(["LAMBDA_TASK_ROOT": root, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "99999"])))
    }

    /// Signals that answer late: spend and health each sleep `delay` (or forever).
    actor SlowSignals: RoutingSignals {
        let delay: Duration
        var calls = 0
        init(delay: Duration) { self.delay = delay }
        func monthToDateSpend(tenantID: String) async throws -> SpendSignal? {
            calls += 1
            try await Task.sleep(for: delay)
            return SpendSignal(amount: RoutingFixtures.usd("6"))
        }
        func modelHealth() async throws -> [ModelID: ModelHealth] {
            calls += 1
            try await Task.sleep(for: delay)
            return [:]
        }
    }

    func testSignalsAreFetchedConcurrentlyWithinOneBudget() async throws {
        // Each signal takes 600 ms: fetched one after the other that is 1.2 s, together 0.6 s.
        let dir = try bundleDir()
        let configuration = try RouterConfiguration(
            environment: Environment(["SWITCHYARD_BUNDLE_DIR": dir, "ROUTER_SIGNALS_BUDGET_MS": "3000"]))
        let slow = SlowSignals(delay: .milliseconds(600))
        let handler = try RouterHandler(configuration: configuration, signals: slow)
        let start = ContinuousClock.now
        let decision = await handler.route(
            RoutingFixtures.request(tenant: "acme-startup", prompt: "hello"), deadline: .now + .seconds(5))
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(decision.rejection?.errorType, "Router.BudgetExceeded", "the $6 spend arrived in time")
        XCTAssertLessThan(elapsed, .milliseconds(1100), "spend and health overlapped")
    }

    func testSlowSignalsFallBackToPriorsWithinTheBudget() async throws {
        let dir = try bundleDir()
        let configuration = try RouterConfiguration(
            environment: Environment(["SWITCHYARD_BUNDLE_DIR": dir, "ROUTER_SIGNALS_BUDGET_MS": "300"]))
        let handler = try RouterHandler(configuration: configuration, signals: SlowSignals(delay: .seconds(30)))
        let start = ContinuousClock.now
        let decision = await handler.route(
            RoutingFixtures.request(tenant: "acme-startup", prompt: "hello"), deadline: .now + .seconds(5))
        let elapsed = ContinuousClock.now - start
        XCTAssertLessThan(elapsed, .milliseconds(800))
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(300))
        XCTAssertEqual(decision.route, .llm, "routed on priors")
        XCTAssertNil(decision.budget?.monthToDatePicoUSD)
        XCTAssertTrue(decision.budget?.note?.contains("spend unavailable (no answer within") ?? false)
        XCTAssertTrue(decision.budget?.note?.contains("model health unavailable") ?? false)
    }
}
