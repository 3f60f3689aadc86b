import SwitchyardBilling
import XCTest

/// Randomised checks of the cost arithmetic against an independent formulation: plain integer
/// maths on the published per-unit figures, with a hand-written round-half-even.
final class CostPropertyTests: XCTestCase {
    var calculator: CostCalculator!
    let now = utc(2026, 11, 25)

    override func setUpWithError() throws {
        calculator = CostCalculator(rates: try RepositoryFiles.seededRates())
    }

    /// Independent reference: rounds p/q (q > 0, p ≥ 0) half to even.
    func roundHalfEven(_ p: Int128, _ q: Int128) -> Int64 {
        let (quotient, remainder) = p.quotientAndRemainder(dividingBy: q)
        if remainder * 2 > q || (remainder * 2 == q && quotient % 2 == 1) { return Int64(quotient + 1) }
        return Int64(quotient)
    }

    func testTokenCostEqualsPerMillionFormula() {
        var generator = SystemRandomNumberGenerator()
        // pico-USD per 1M tokens for gpt-4o: input 5e12, cached 2.5e12, output 20e12.
        for _ in 0..<5_000 {
            let input = Int64.random(in: 0...2_000_000, using: &generator)
            let cached = Int64.random(in: 0...input, using: &generator)
            let output = Int64.random(in: 0...200_000, using: &generator)
            let cost = calculator.cost(
                of: BillableUsage(
                    timestamp: now, model: "gpt-4o",
                    tokens: TokenCounts(input: input, cachedInput: cached, output: output)))
            let numerator =
                Int128(input - cached) * 5_000_000_000_000 + Int128(cached) * 2_500_000_000_000
                + Int128(output) * 20_000_000_000_000
            XCTAssertEqual(
                cost.model.rawValue, roundHalfEven(numerator, 1_000_000), "in=\(input) cached=\(cached) out=\(output)")
            // In dollars the same figure, to float precision: the brief's "$5 / $20 per 1M".
            let dollars = Double(input - cached) * 5e-6 + Double(cached) * 2.5e-6 + Double(output) * 20e-6
            XCTAssertEqual(Double(cost.model.rawValue) / 1e12, dollars, accuracy: 1e-9)
        }
    }

    func testLambdaCostEqualsGBSecondFormula() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<5_000 {
            let memory = Int64.random(in: 128...10_240, using: &generator)
            let duration = Int64.random(in: 1...900_000, using: &generator)
            let arm = Bool.random(using: &generator)
            let cost = calculator.cost(
                of: BillableUsage(
                    timestamp: now,
                    compute: .lambda(
                        architecture: arm ? .arm64 : .x86_64, memoryMB: memory, durationMilliseconds: duration)))
            // GB-s = memory/1024 × duration/1000; pico per GB-s 13,333,400 (arm) or 16,666,700 (x86);
            // request $0.20/1M = 200,000 pico, added before the single rounding.
            let perGBSecond: Int128 = arm ? 13_333_400 : 16_666_700
            let numerator = perGBSecond * Int128(memory) * Int128(duration) + 200_000 * 1_024_000
            XCTAssertEqual(
                cost.compute.rawValue, roundHalfEven(numerator, 1_024_000), "mem=\(memory) ms=\(duration) arm=\(arm)")
        }
    }

    func testComponentsAddUpAndRoundingErrorIsBounded() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            let a = TokenCounts(
                input: Int64.random(in: 0...50_000, using: &generator),
                output: Int64.random(in: 0...5_000, using: &generator))
            let b = TokenCounts(
                input: Int64.random(in: 0...50_000, using: &generator),
                output: Int64.random(in: 0...5_000, using: &generator))
            let ms = Int64.random(in: 1...60_000, using: &generator)
            func cost(_ t: TokenCounts, _ duration: Int64) -> CostBreakdown {
                calculator.cost(
                    of: BillableUsage(
                        timestamp: now, model: "claude-3-5-sonnet", tokens: t,
                        compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: duration),
                        orchestration: OrchestrationUsage(durationMilliseconds: duration)))
            }
            let joined = cost(TokenCounts(input: a.input + b.input, output: a.output + b.output), ms)
            XCTAssertEqual(
                try joined.total.rawValue,
                joined.model.rawValue + joined.compute.rawValue + joined.orchestration.rawValue)
            // Token prices are whole pico per token here, so token costs are additive exactly.
            XCTAssertEqual(cost(a, ms).model.rawValue + cost(b, ms).model.rawValue, joined.model.rawValue)
            // Splitting endpoint time in two rounds twice: at most 1 pico apart.
            let split = cost(a, ms / 2).compute.rawValue + cost(a, ms - ms / 2).compute.rawValue
            XCTAssertLessThanOrEqual(abs(split - joined.compute.rawValue), 1)
        }
    }
}
