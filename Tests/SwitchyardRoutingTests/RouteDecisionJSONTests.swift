import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardRuntime
import XCTest

final class RouteDecisionJSONTests: XCTestCase {
    /// Decisions covering every optional part: vision branch, batch plan, rule, budget, notes.
    func decisions() throws -> [SwitchyardRouting.RouteDecision] {
        [
            try RoutingFixtures.decide(tenant: "acme-startup", prompt: "hello there"),
            try RoutingFixtures.decide(
                tenant: "globex-health", prompt: "What is in this image?", images: [RoutingFixtures.photo], spend: 5),
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", batch: [BatchItem(id: "1", prompt: "Summarize: fine product")]),
            try RoutingFixtures.decide(tenant: "spendy-pro", prompt: "Review this contract clause", spend: 99_000_000),
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", prompt: "hi",
                health: ["gpt-4o-mini": ModelHealth(p50Ms: 10, p95Ms: 20, errorRate: 0.9, samples: 99)]),
        ]
    }

    func testDirectJSONEqualsTheCodableDocument() throws {
        for decision in try decisions() {
            let codable = try JSON.encodeToJSON(decision)
            XCTAssertEqual(decision.jsonValue, codable, decision.explanation)
            // And it reads back as the same decision.
            let decoded = try JSON.decode(
                SwitchyardRouting.RouteDecision.self, from: decision.jsonValue.serialized())
            XCTAssertEqual(decoded.primary, decision.primary)
            XCTAssertEqual(
                decoded.candidates.map(\.rejected?.description), decision.candidates.map(\.rejected?.description))
        }
    }

    func testByteHandlerAnswersWithTheDecisionAndTypesBadEvents() async throws {
        let handler = RouterByteHandler(
            try RouterHandler(
                configuration: RouterConfiguration(policyPath: RoutingFixtures.repoRoot + "/infra/policy.json")))
        let context = InvocationContext(
            requestID: "r", deadlineMilliseconds: WallClock.nowMilliseconds() + 3000, invokedFunctionARN: "arn:router")
        let out = try await handler.handle(
            Array(#"{"tenant_id":"initech","prompt":"Translate into French: hello"}"#.utf8), context: context)
        let json = try JSON.parse(out)
        XCTAssertEqual(json["classification"]?["category"]?.stringValue, "translation")
        do {
            _ = try await handler.handle(Array(#"{"tenant_id": 42}"#.utf8), context: context)
            XCTFail("expected an error")
        } catch let error as RuntimeError {
            XCTAssertEqual(error.errorType, "Runtime.InvalidEvent")
        }
        do {
            _ = try await handler.handle(Array(#"{"tenant_id": "ghost", "prompt": "hi"}"#.utf8), context: context)
            XCTFail("expected an error")
        } catch let error as RouterError {
            XCTAssertEqual(error.errorType, "Router.UnknownTenant")
        }
    }
}
