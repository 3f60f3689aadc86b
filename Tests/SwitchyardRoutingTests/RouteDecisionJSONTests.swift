import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardRuntime
import XCTest

final class RouteDecisionJSONTests: XCTestCase {
    /// Decisions covering every part: each route, a rejection, downgrades, health, notes, hints.
    func decisions() async throws -> [RouteDecision] {
        let handler = RouterHandler(router: RoutingFixtures.router, signals: InMemoryRoutingSignals())
        var all = [
            try RoutingFixtures.decide(tenant: "acme-startup", prompt: "hello there"),
            try RoutingFixtures.decide(
                tenant: "globex-health", prompt: "What is in this image?", images: [RoutingFixtures.photo],
                spend: PicoUSD(5)),
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", batch: [BatchItem(id: "1", text: "Summarize: fine product")]),
            try RoutingFixtures.decide(
                tenant: "spendy-pro", prompt: "Review this contract clause", spend: RoutingFixtures.usd("99")),
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", prompt: "hi",
                hints: RoutingHints(maxCostPicoUSD: PicoUSD(900_000_000), tags: ["x"]),
                health: ["gpt-4o-mini": ModelHealth(p50Ms: 10, p95Ms: 20, errorRate: 0.9, samples: 99)]),
            try RoutingFixtures.decide(
                tenant: "initech", prompt: "vectorise", hints: RoutingHints(category: .embedding)),
        ]
        all.append(
            await handler.route(RoutingFixtures.request(tenant: "nobody", prompt: "hi"), deadline: .now + .seconds(1)))
        all.append(
            await handler.route(RoutingFixtures.request(tenant: "initech", prompt: "hi"), deadline: .now + .seconds(1)))
        return all
    }

    func testDirectCandidatesAreByteIdenticalToTheCodableDocument() async throws {
        var populated = Set<String>()
        for decision in try await decisions() {
            XCTAssertEqual(try decision.encodedJSON(), try JSON.encode(decision), decision.explanation)
            XCTAssertEqual(try JSON.decode(RouteDecision.self, from: try decision.encodedJSON()), decision)
            for candidate in try JSON.parse(try decision.encodedJSON())["candidates"]?.arrayValue ?? [] {
                populated.formUnion(candidate.objectValue?.keys ?? [])
            }
        }
        // Every field of CandidateReport appeared at least once, so a field added to the contract
        // and missed by the direct writer fails here.
        XCTAssertEqual(
            populated,
            [
                "model", "provider", "role", "quality", "estimatedCostPicoUSD", "estimatedLatencyMs", "score",
                "selected",
                "rejected",
            ])
    }

    func testTheFunctionWritesTheSameBytes() async throws {
        let handler = RouterHandler(router: RoutingFixtures.router, signals: InMemoryRoutingSignals())
        let context = InvocationContext(
            requestID: "r-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 3000, invokedFunctionARN: "arn:router"
        )
        let event = try JSON.encode(RoutingFixtures.request(tenant: "lexcorp-legal", prompt: "Review this clause"))
        let bytes = try await RouterByteHandler(handler).handle(event, context: context)
        let decision = try JSON.decode(RouteDecision.self, from: bytes)
        XCTAssertEqual(bytes, try JSON.encode(decision))
        XCTAssertEqual(decision.usage.first?.invocationID, "r-1")
        do {
            _ = try await RouterByteHandler(handler).handle(Array("{}".utf8), context: context)
            XCTFail("expected Runtime.InvalidEvent")
        } catch let error as RuntimeError {
            XCTAssertEqual(error.errorType, "Runtime.InvalidEvent")
        }
    }
}
