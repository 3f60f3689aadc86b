import SwitchyardBilling
import SwitchyardContract
import XCTest

/// Hostile quantities (issue 12): every cost either comes out exact or fails with a typed error;
/// none traps. Each of these trapped on Swift's overflow checks before.
final class CostOverflowTests: XCTestCase {
    var calculator: CostCalculator!
    let now = utc(2026, 11, 25)

    override func setUpWithError() throws {
        calculator = CostCalculator(rates: try RepositoryFiles.seededRates())
    }

    func assertOutOfRange(
        _ usage: BillableUsage, _ message: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try calculator.cost(of: usage), message, file: file, line: line) { error in
            XCTAssertEqual((error as? MoneyError)?.errorType, "Billing.AmountOutOfRange", file: file, line: line)
        }
    }

    /// 5·10¹¹ gpt-4o output tokens × $20/1M = $10,000,000: beyond Int64 pico-USD (~$9.2M).
    func testHugeTokenCountIsOutOfRange() throws {
        assertOutOfRange(
            BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(output: 500_000_000_000)),
            "5e11 output tokens")
        // Just below: 4.6·10¹¹ × $20/1M = $9.2M fits (9.2·10¹⁸ pico < 9.223·10¹⁸).
        let fits = try calculator.cost(
            of: BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(output: 460_000_000_000)))
        XCTAssertEqual(fits.model, PicoUSD(9_200_000_000_000_000_000))
        assertOutOfRange(
            BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: .max, output: .max)),
            "Int64.max tokens")
    }

    /// memoryMB × durationMs used to be multiplied in Int64 before any check.
    func testMemoryTimesDurationOverflowIsOutOfRange() {
        assertOutOfRange(
            BillableUsage(
                timestamp: now,
                compute: .lambda(architecture: .arm64, memoryMB: 10_000_000_000, durationMilliseconds: 10_000_000_000)),
            "lambda 1e10 MB × 1e10 ms")
        assertOutOfRange(
            BillableUsage(
                timestamp: now,
                compute: .fargate(
                    architecture: .x86_64, milliVCPU: .max, memoryMB: 1, durationMilliseconds: 2)),
            "fargate Int64.max milli-vCPU × 2 ms")
        assertOutOfRange(
            BillableUsage(
                timestamp: now, compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: .max)),
            "endpoint Int64.max ms")
    }

    /// Express rounds memory and duration up to their increments: `value + increment - 1` overflowed.
    func testOrchestrationRoundingOverflowIsOutOfRange() {
        assertOutOfRange(
            BillableUsage(timestamp: now, orchestration: OrchestrationUsage(memoryMB: 64, durationMilliseconds: .max)),
            "express Int64.max ms")
        assertOutOfRange(
            BillableUsage(timestamp: now, orchestration: OrchestrationUsage(memoryMB: .max, durationMilliseconds: 1)),
            "express Int64.max MB")
        assertOutOfRange(
            BillableUsage(
                timestamp: now, orchestration: OrchestrationUsage(memoryMB: 64, durationMilliseconds: 1, requests: .max)
            ),
            "express Int64.max requests")
    }

    /// A rate × quantity × scale product beyond Int128 (a $9M-per-image rate, Int64.max images).
    func testProductBeyondInt128IsOutOfRange() throws {
        let table = try RatesTable(
            bytes: Array(
                #"""
                {"version": "t", "models": [{"model": "m", "provider": "p", "effectiveFrom": "2020-01-01",
                  "perImage": "9000000", "inputPerMillionTokens": "9000000"}]}
                """#.utf8))
        let calc = CostCalculator(rates: table)
        XCTAssertThrowsError(
            try calc.cost(of: BillableUsage(timestamp: now, model: "m", images: .max))
        ) { XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange") }
        XCTAssertThrowsError(
            try calc.cost(of: BillableUsage(timestamp: now, model: "m", tokens: TokenCounts(input: .max), images: .max))
        ) { XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange") }
    }

    /// Components that fit one by one but not together: the total fails, typed.
    func testTotalBeyondRangeIsOutOfRange() throws {
        let cost = try calculator.cost(
            of: BillableUsage(
                timestamp: now, model: "gpt-4o", tokens: TokenCounts(output: 400_000_000_000),
                compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: 9_000_000_000_000)))
        XCTAssertEqual(cost.model, PicoUSD(8_000_000_000_000_000_000))
        // 9·10¹² ms = 2.5·10⁶ h × $0.736 = $1,840,000.
        XCTAssertEqual(cost.compute, PicoUSD(1_840_000_000_000_000_000))
        XCTAssertThrowsError(try cost.total) {
            XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange")
        }
    }

    /// Negative quantities are input errors, not credits.
    func testNegativeQuantitiesAreRejected() {
        let cases: [(BillableUsage, String)] = [
            (BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: -1)), "tokens.input"),
            (BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(output: -1)), "tokens.output"),
            (
                BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: 10, cachedInput: -1)),
                "tokens.cachedInput"
            ),
            (
                BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: 10, cacheWrite: -1)),
                "tokens.cacheWrite"
            ),
            (BillableUsage(timestamp: now, model: "yolov8n", images: -1), "images"),
            (
                BillableUsage(
                    timestamp: now, compute: .lambda(architecture: .arm64, memoryMB: -128, durationMilliseconds: 10)),
                "compute.memoryMB"
            ),
            (
                BillableUsage(
                    timestamp: now, compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: -1)),
                "compute.durationMilliseconds"
            ),
            (
                BillableUsage(
                    timestamp: now, orchestration: OrchestrationUsage(memoryMB: 64, durationMilliseconds: -5)),
                "orchestration.durationMilliseconds"
            ),
        ]
        for (usage, field) in cases {
            XCTAssertThrowsError(try calculator.cost(of: usage), field) { error in
                XCTAssertEqual((error as? MoneyError)?.errorType, "Billing.InvalidQuantity", field)
                XCTAssertTrue((error as? MoneyError)?.errorMessage.contains(field) ?? false, "\(error)")
            }
        }
    }

    func testEndpointViewsOverflowIsOutOfRange() throws {
        let rate = try XCTUnwrap(calculator.rates.endpoint("ml.g4dn.xlarge", at: now))
        XCTAssertThrowsError(try EndpointCostView.alwaysOn(rate: rate, instances: .max, uptimeMilliseconds: 2)) {
            XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange")
        }
        XCTAssertThrowsError(
            try EndpointCostView.alwaysOnPerInvocation(
                rate: rate, instances: 2, uptimeMilliseconds: .max, invocations: 1)
        ) { XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.AmountOutOfRange") }
        XCTAssertThrowsError(try EndpointCostView.amortised(rate: rate, busyMilliseconds: -1)) {
            XCTAssertEqual(($0 as? MoneyError)?.errorType, "Billing.InvalidQuantity")
        }
    }
}
