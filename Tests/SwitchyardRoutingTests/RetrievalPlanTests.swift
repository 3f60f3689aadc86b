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
        XCTAssertEqual(
            d.retrieval,
            RetrievalPlan(
                collection: "knowledge", topK: 5, embeddingModel: "e5-small-query", passageModel: "e5-small-passage"))
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

    func testThePolicySectionIsValidated() throws {
        var json = RoutingFixtures.json(RoutingFixtures.files.policy)
        var retrieval = json["retrieval"] as! [String: Any]
        retrieval["topK"] = 0
        json["retrieval"] = retrieval
        XCTAssertThrowsError(try RoutingPolicy.parse(RoutingFixtures.bytes(json))) { error in
            XCTAssertEqual((error as? PolicyError)?.path, "retrieval.topK")
        }
        retrieval["topK"] = 5
        retrieval["embeddingModel"] = "gpt-4o"
        json["retrieval"] = retrieval
        XCTAssertThrowsError(
            try RoutingBundle.parse(
                RoutingFixtures.documents(policy: RoutingFixtures.bytes(json)), pricesAt: RoutingFixtures.pricesAt))
    }
}
