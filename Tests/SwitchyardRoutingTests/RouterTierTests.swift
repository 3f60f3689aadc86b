import SwitchyardContract
import SwitchyardRouting
import XCTest

final class RouterTierTests: XCTestCase {
    let question = "Can you explain how compound interest works with an example?"

    func testEachTierOnlyGetsItsModels() throws {
        for tenant in RoutingFixtures.policy.tenants {
            let d = try RoutingFixtures.decide(tenant: tenant.id, prompt: question)
            XCTAssertEqual(d.tier, tenant.tier)
            for model in d.chosenModels {
                XCTAssertTrue(
                    RoutingFixtures.router.table.isAllowed(model: model, tier: tenant.tier),
                    "\(model) on \(tenant.tier)")
            }
        }
    }

    func testTierDefaultStrategies() throws {
        XCTAssertEqual(try RoutingFixtures.decide(tenant: "acme-startup", prompt: question).strategy, .cheapest)
        XCTAssertEqual(try RoutingFixtures.decide(tenant: "lexcorp-legal", prompt: question).strategy, .cheapest)
        // Enterprise's default is best; easy and medium requests match enterprise-routine first.
        let profile = try RequestProfile(
            RoutingFixtures.input(tenant: "initech", prompt: question), limits: RoutingFixtures.policy.limits)
        let hard = Classification(category: .chat, difficulty: .hard, confidence: 0.9, classifier: "learned")
        let enterprise = try RoutingFixtures.router.decide(profile, classification: hard)
        XCTAssertEqual(enterprise.strategy, .best)
        XCTAssertNil(enterprise.matchedRule)
        XCTAssertTrue(enterprise.explanation.contains("tier default"))
        var easy = hard
        easy.difficulty = .easy
        XCTAssertEqual(
            try RoutingFixtures.router.decide(profile, classification: easy).matchedRule, "enterprise-routine")
    }

    func testEnterpriseOnlyModel() throws {
        let d = try RoutingFixtures.decide(tenant: "initech", prompt: "hi", hints: RoutingHints(model: "claude-3-opus"))
        XCTAssertEqual(d.primary.model, "claude-3-opus")
        XCTAssertThrowsError(
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", prompt: "hi", hints: RoutingHints(model: "claude-3-opus"))
        ) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.ModelNotAllowed")
        }
    }

    func testBudgetIsReportedAndCapsTheCeiling() throws {
        let d = try RoutingFixtures.decide(tenant: "lexcorp-legal", prompt: question, spend: 199_999_000)
        XCTAssertEqual(d.budget.monthlyBudgetMicroUSD, 200_000_000)
        XCTAssertEqual(d.budget.remainingMicroUSD, 1_000)
        XCTAssertFalse(d.budget.downgraded)
        XCTAssertLessThanOrEqual(d.estimatedCostMicroUSD, 1_000)
        XCTAssertLessThanOrEqual(d.costCeilingMicroUSD, 1_000)
    }

    func testOverBudgetProTenantIsDowngraded() throws {
        let d = try RoutingFixtures.decide(
            tenant: "spendy-pro", prompt: "Review this indemnification clause of the agreement for liability risks.",
            spend: 50_000_001)
        XCTAssertTrue(d.budget.downgraded)
        XCTAssertEqual(d.strategy, .cheapest)
        let downgrade = Set(RoutingFixtures.policy.tiers["pro"]!.downgradeModels!)
        for model in d.chosenModels { XCTAssertTrue(downgrade.contains(model), model) }
        XCTAssertTrue(d.explanation.contains("downgraded"))
        let sonnet = try XCTUnwrap(d.candidates.first { $0.model == "claude-3-5-sonnet" })
        XCTAssertEqual(sonnet.rejected?.description, "tenant is over budget and this is not a downgrade model")
    }

    func testOverBudgetExplicitModelIsDowngradedToo() throws {
        let d = try RoutingFixtures.decide(
            tenant: "spendy-pro", prompt: "hello", hints: RoutingHints(model: "gpt-4o"), spend: 60_000_000)
        XCTAssertTrue(d.budget.downgraded)
        XCTAssertNotEqual(d.primary.model, "gpt-4o")
    }

    func testOverBudgetBasicTenantIsRejected() {
        XCTAssertThrowsError(try RoutingFixtures.decide(tenant: "free-demo", prompt: question, spend: 1_000_000)) {
            error in
            let e = error as? RouterError
            XCTAssertEqual(e?.errorType, "Router.BudgetExceeded")
            XCTAssertTrue(e?.errorMessage.contains("$1.000000") ?? false, e?.errorMessage ?? "")
        }
    }

    func testAlmostOverBudgetBasicTenantIsRejectedWhenNothingFits() {
        // 10 micro-USD left: no basic model can answer a long request for that.
        let long = String(repeating: "Explain the history of Rome in detail. ", count: 200)
        XCTAssertThrowsError(try RoutingFixtures.decide(tenant: "free-demo", prompt: long, spend: 999_990)) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.BudgetExceeded")
        }
    }

    func testUnknownSpendSkipsTheBudgetAndSaysSo() throws {
        let d = try RoutingFixtures.decide(tenant: "free-demo", prompt: question)
        XCTAssertNil(d.budget.monthToDateMicroUSD)
        XCTAssertEqual(d.budget.note, "no spend data; budget not enforced")
    }
}
