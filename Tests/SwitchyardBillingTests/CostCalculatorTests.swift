import SwitchyardBilling
import SwitchyardContract
import XCTest

/// Hand-computed cases against the seeded `infra/rates.json`. Each comment shows the arithmetic.
final class CostCalculatorTests: XCTestCase {
    var calculator: CostCalculator!
    let now = utc(2026, 11, 25)

    override func setUpWithError() throws {
        calculator = CostCalculator(rates: try RepositoryFiles.seededRates())
    }

    func testBriefGPT4oExample() throws {
        // 1,000 input × $5/1M = $0.005; 500 output × $20/1M = $0.010; total $0.015.
        let cost = try calculator.cost(
            of: BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: 1000, output: 500)))
        XCTAssertEqual(cost.model, PicoUSD(15_000_000_000))
        XCTAssertEqual(try cost.total.description, "0.015")
        XCTAssertTrue(cost.isPriced)
        XCTAssertEqual(cost.rateVersion, "2026-11-30.2")
        // One million of each: $5 + $20.
        let million = try calculator.cost(
            of: BillableUsage(timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: 1_000_000, output: 1_000_000))
        )
        XCTAssertEqual(try million.total, PicoUSD(25 * PicoUSD.perUSD))
    }

    func testCachedTokensBilledAtCachedPriceAndReasoningOnlyAsOutput() throws {
        // 2,000 input of which 1,000 cached: 1,000 × $5/1M + 1,000 × $2.50/1M = $0.0075.
        // 300 output incl. 200 reasoning: 300 × $20/1M = $0.006 (reasoning not billed twice).
        let usage = BillableUsage(
            timestamp: now, model: "gpt-4o",
            tokens: TokenCounts(input: 2000, cachedInput: 1000, output: 300, reasoning: 200))
        XCTAssertEqual(try calculator.cost(of: usage).model, PicoUSD(13_500_000_000))
        // gpt-3.5-turbo has no cached price: cached tokens cost as input (1,000 × $0.50/1M).
        let old = BillableUsage(
            timestamp: now, model: "gpt-3.5-turbo", tokens: TokenCounts(input: 1000, cachedInput: 400))
        XCTAssertEqual(try calculator.cost(of: old).model, PicoUSD(500_000_000))
        // claude-3-haiku: 10,000 input of which 8,000 cache reads: 2,000 × 0.25 + 8,000 × 0.03 = $0.00074.
        let haiku = BillableUsage(
            timestamp: now, model: "claude-3-haiku", tokens: TokenCounts(input: 10_000, cachedInput: 8_000))
        XCTAssertEqual(try calculator.cost(of: haiku).model, PicoUSD(740_000_000))
    }

    func testCacheWritesBilledAtTheCacheWritePrice() throws {
        // claude-3-5-sonnet: 10,000 input = 5,000 fresh × $3 + 2,000 cache reads × $0.30
        // + 3,000 cache writes × $3.75 (1.25× input) per 1M = $0.015 + $0.0006 + $0.01125 = $0.02685.
        let usage = BillableUsage(
            timestamp: now, model: "claude-3-5-sonnet",
            tokens: TokenCounts(input: 10_000, cachedInput: 2_000, cacheWrite: 3_000, output: 0))
        XCTAssertEqual(try calculator.cost(of: usage).model, PicoUSD(26_850_000_000))
        // gpt-4o has no cache-write surcharge: written tokens cost as input (1,000 × $5/1M).
        let openAI = BillableUsage(
            timestamp: now, model: "gpt-4o", tokens: TokenCounts(input: 1_000, cacheWrite: 1_000))
        XCTAssertEqual(try calculator.cost(of: openAI).model, PicoUSD(5_000_000_000))
    }

    func testLambdaGBSecondCases() throws {
        // x86, 128 MB, 100 ms: 0.125 GB × 0.1 s = 0.0125 GB-s × $0.0000166667 = $0.00000020833375
        // plus 1 request × $0.20/1M = $0.0000002 → 408,333.75 pico → 408,334 (rounded once).
        let small = try calculator.cost(
            of: BillableUsage(
                timestamp: now, compute: .lambda(architecture: .x86_64, memoryMB: 128, durationMilliseconds: 100)))
        XCTAssertEqual(small.compute, PicoUSD(408_334))
        // arm64, 1024 MB, 1,000 ms = 1 GB-s × $0.0000133334 + $0.0000002 = 13,533,400 pico.
        let arm = try calculator.cost(
            of: BillableUsage(
                timestamp: now, compute: .lambda(architecture: .arm64, memoryMB: 1024, durationMilliseconds: 1000)))
        XCTAssertEqual(arm.compute, PicoUSD(13_533_400))
        // x86, 1536 MB, 250 ms = 0.375 GB-s × 16,666,700 = 6,250,012.5 + 200,000 = 6,450,012.5 → tie, to even: 6,450,012.
        let tie = try calculator.cost(
            of: BillableUsage(
                timestamp: now, compute: .lambda(architecture: .x86_64, memoryMB: 1536, durationMilliseconds: 250)))
        XCTAssertEqual(tie.compute, PicoUSD(6_450_012))
        // One million 128 MB × 100 ms invocations on x86: $0.20 + 12,500 GB-s × $0.0000166667 ($0.20833375) = $0.40833375.
        let million = try calculator.cost(
            of: BillableUsage(
                timestamp: now,
                compute: .lambda(
                    architecture: .x86_64, memoryMB: 128, durationMilliseconds: 100_000_000, requests: 1_000_000)))
        XCTAssertEqual(million.compute.description, "0.40833375")
    }

    func testStepFunctionsExpressRoundsUpTo64MBAnd100ms() throws {
        // 50 MB → 64 MB, 150 ms → 200 ms: 0.0625 GB × 0.2 s = 0.0125 GB-s × $0.00001667 = 208,375 pico; + $1/1M request.
        let cost = try calculator.cost(
            of: BillableUsage(
                timestamp: now, orchestration: OrchestrationUsage(memoryMB: 50, durationMilliseconds: 150)))
        XCTAssertEqual(cost.orchestration, PicoUSD(1_208_375))
    }

    func testEndpointAndFargate() throws {
        // ml.g4dn.xlarge 250 ms: $0.736 × 250 / 3,600,000 = 51,111,111.1 pico → 51,111,111.
        let endpoint = try calculator.cost(
            of: BillableUsage(
                timestamp: now, model: "yolov8n", images: 1,
                compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: 250)))
        XCTAssertEqual(endpoint.compute, PicoUSD(51_111_111))
        XCTAssertEqual(endpoint.model, .zero)
        XCTAssertTrue(endpoint.isPriced, "yolov8n has an explicit $0 per-image price: priced, not unpriced")
        // Fargate x86, 0.25 vCPU, 512 MB, 1 s: 0.25/3600 × $0.04048 + 0.5/3600 × $0.004445
        // = 2,811,111.1 + 617,361.1 = 3,428,472.2 pico → 3,428,472.
        let fargate = try calculator.cost(
            of: BillableUsage(
                timestamp: now,
                compute: .fargate(architecture: .x86_64, milliVCPU: 250, memoryMB: 512, durationMilliseconds: 1000)))
        XCTAssertEqual(fargate.compute, PicoUSD(3_428_472))
    }

    func testUnknownModelIsFlaggedNeverSilentlyZero() throws {
        let cost = try calculator.cost(
            of: BillableUsage(
                timestamp: now, model: "gpt-9-ultra", tokens: TokenCounts(input: 10, output: 10),
                compute: .lambda(architecture: .arm64, memoryMB: 128, durationMilliseconds: 10)))
        XCTAssertFalse(cost.isPriced)
        XCTAssertEqual(cost.unpriced, [.model])
        XCTAssertEqual(cost.unpriced.names, ["model"])
        XCTAssertGreaterThan(cost.compute, .zero, "the parts that have rates are still priced")
        let noEndpoint = try calculator.cost(
            of: BillableUsage(
                timestamp: now, compute: .endpoint(instanceType: "ml.p5.48xlarge", durationMilliseconds: 5)))
        XCTAssertEqual(noEndpoint.unpriced, [.compute])
    }

    func testEffectiveFromSelectsThePriceInForce() throws {
        let table = RatesTable(
            version: "test",
            models: [
                ModelRate(
                    model: "m", provider: "p", effectiveFrom: utc(2024, 1, 1),
                    inputPerMillionTokens: PicoUSD(decimal: "5")!,
                    outputPerMillionTokens: PicoUSD(decimal: "20")!),
                ModelRate(
                    model: "m", provider: "p", effectiveFrom: utc(2024, 10, 1),
                    inputPerMillionTokens: PicoUSD(decimal: "2.5")!,
                    outputPerMillionTokens: PicoUSD(decimal: "10")!),
            ])
        let calc = CostCalculator(rates: table)
        let tokens = TokenCounts(input: 1_000_000)
        XCTAssertEqual(
            try calc.cost(of: BillableUsage(timestamp: utc(2024, 9, 30), model: "m", tokens: tokens)).model.description,
            "5.00")
        XCTAssertEqual(
            try calc.cost(of: BillableUsage(timestamp: utc(2024, 10, 1), model: "m", tokens: tokens)).model.description,
            "2.50")
        XCTAssertEqual(
            try calc.cost(of: BillableUsage(timestamp: utc(2023, 12, 31), model: "m", tokens: tokens)).unpriced,
            [.model],
            "before the first entry there is no price")
    }

    func testAlwaysOnAndAmortisedEndpointViews() throws {
        let rate = try XCTUnwrap(calculator.rates.endpoint("ml.g4dn.xlarge", at: now))
        // 30 days × 24 h × $0.736 = $529.92 for one instance.
        XCTAssertEqual(
            try EndpointCostView.alwaysOn(rate: rate, instances: 1, uptimeMilliseconds: 30 * 86_400_000).description,
            "529.92")
        // One hour shared by 3 invocations: $0.736 / 3 = 245,333,333,333.33 pico → 245,333,333,333.
        XCTAssertEqual(
            try EndpointCostView.alwaysOnPerInvocation(
                rate: rate, instances: 1, uptimeMilliseconds: 3_600_000, invocations: 3),
            PicoUSD(245_333_333_333))
        XCTAssertNil(
            try EndpointCostView.alwaysOnPerInvocation(rate: rate, instances: 1, uptimeMilliseconds: 1, invocations: 0))
        XCTAssertEqual(try EndpointCostView.amortised(rate: rate, busyMilliseconds: 250), PicoUSD(51_111_111))
    }
}
