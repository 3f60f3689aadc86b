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
            RoutingFixtures.request(tenant: "initech", prompt: question), limits: RoutingFixtures.policy.limits)
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
        XCTAssertEqual(d.primaryModel, "claude-3-opus")
        XCTAssertThrowsError(
            try RoutingFixtures.decide(
                tenant: "lexcorp-legal", prompt: "hi", hints: RoutingHints(model: "claude-3-opus"))
        ) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.ModelNotAllowed")
        }
    }

    func testBudgetIsReportedAndCapsTheCeiling() throws {
        // lexcorp-legal: pro, $200.00 a month; $199.9999 spent leaves $0.0001 = 100,000,000 pico-USD.
        let d = try RoutingFixtures.decide(
            tenant: "lexcorp-legal", prompt: question, spend: RoutingFixtures.usd("199.9999"))
        let budget = try XCTUnwrap(d.budget)
        XCTAssertEqual(budget.monthlyBudgetPicoUSD, RoutingFixtures.usd("200"))
        XCTAssertEqual(budget.monthToDatePicoUSD, RoutingFixtures.usd("199.9999"))
        XCTAssertEqual(budget.remainingPicoUSD, PicoUSD(100_000_000))
        XCTAssertFalse(budget.downgraded)
        XCTAssertLessThanOrEqual(d.estimatedCostPicoUSD, PicoUSD(100_000_000))
        XCTAssertLessThanOrEqual(d.costCeilingPicoUSD, PicoUSD(100_000_000))
    }

    /// decisions.md "Tests at the boundaries": a tenant whose spend exactly equals its budget is
    /// not routed. A free model (smollm2-135m) fits a remaining budget of zero, so an off-by-one
    /// (`remaining < 0`) would route these requests to it instead.
    func testSpendExactlyAtTheBudgetIsOverBudget() throws {
        // free-demo: basic tier ($1.00 override), rejects over budget.
        XCTAssertThrowsError(
            try RoutingFixtures.decide(tenant: "free-demo", prompt: question, spend: RoutingFixtures.usd("1.00"))
        ) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.BudgetExceeded")
        }
        // spendy-pro: pro tier ($50.00 override), downgrades over budget.
        let d = try RoutingFixtures.decide(tenant: "spendy-pro", prompt: question, spend: RoutingFixtures.usd("50.00"))
        XCTAssertEqual(d.budget?.downgraded, true)
        XCTAssertEqual(d.budget?.remainingPicoUSD, .zero)
        XCTAssertEqual(d.strategy, .cheapest)
    }

    func testOnePicoDollarBelowTheBudgetIsStillWithinIt() throws {
        // $49.999999999999 of $50.00 spent: 1 pico-USD left, so the tenant is within budget and only a
        // model estimated at no more than that may run: the free smollm2-135m, below the floor but the only
        // one that fits, so the floor is relaxed.
        let d = try RoutingFixtures.decide(
            tenant: "spendy-pro", prompt: question, spend: RoutingFixtures.usd("49.999999999999"))
        XCTAssertEqual(d.budget?.remainingPicoUSD, PicoUSD(1))
        XCTAssertEqual(d.budget?.downgraded, false)
        XCTAssertEqual(d.primaryModel, "smollm2-135m")
        XCTAssertTrue(d.qualityFloorRelaxed)
        XCTAssertEqual(d.estimatedCostPicoUSD, .zero)
    }

    func testOverBudgetProTenantIsDowngraded() throws {
        let d = try RoutingFixtures.decide(
            tenant: "spendy-pro", prompt: "Review this indemnification clause of the agreement for liability risks.",
            spend: RoutingFixtures.usd("50.000001"))
        XCTAssertEqual(d.budget?.downgraded, true)
        XCTAssertEqual(d.strategy, .cheapest)
        let downgrade = Set(RoutingFixtures.policy.tiers["pro"]!.downgradeModels!)
        for model in d.chosenModels { XCTAssertTrue(downgrade.contains(model), "\(model)") }
        XCTAssertTrue(d.explanation.contains("downgraded"))
        XCTAssertEqual(d.context.route, "llm cheapest rule=legal-medical-accuracy downgraded")
        XCTAssertEqual(
            d.candidate("claude-3-5-sonnet")?.rejected, "tenant is over budget and this is not a downgrade model")
    }

    func testOverBudgetExplicitModelIsDowngradedToo() throws {
        let d = try RoutingFixtures.decide(
            tenant: "spendy-pro", prompt: "hello", hints: RoutingHints(model: "gpt-4o"),
            spend: RoutingFixtures.usd("60"))
        XCTAssertEqual(d.budget?.downgraded, true)
        XCTAssertNotEqual(d.primaryModel, "gpt-4o")
    }

    func testOverBudgetBasicTenantIsRejected() {
        XCTAssertThrowsError(
            try RoutingFixtures.decide(tenant: "free-demo", prompt: question, spend: RoutingFixtures.usd("1.5"))
        ) { error in
            let e = error as? RouterError
            XCTAssertEqual(e?.errorType, "Router.BudgetExceeded")
            XCTAssertEqual(
                e?.errorMessage,
                "tenant \"free-demo\" has spent $1.50 of its $1.00 monthly budget "
                    + "and its tier rejects requests over budget"
            )
        }
    }

    func testAlmostOverBudgetBasicTenantIsRejectedWhenNothingFits() {
        // 10 micro-USD left: no basic model can answer a long request for that, and smollm2-135m's
        // 2,048-token window cannot hold it.
        let long = String(repeating: "Explain the history of Rome in detail. ", count: 200)
        XCTAssertThrowsError(
            try RoutingFixtures.decide(tenant: "free-demo", prompt: long, spend: RoutingFixtures.usd("0.99999"))
        ) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.BudgetExceeded")
        }
    }

    func testUnknownSpendSkipsTheBudgetAndSaysSo() throws {
        let d = try RoutingFixtures.decide(tenant: "free-demo", prompt: question)
        XCTAssertNil(d.budget?.monthToDatePicoUSD)
        XCTAssertEqual(d.budget?.note, "no spend data; budget not enforced")
    }
}
