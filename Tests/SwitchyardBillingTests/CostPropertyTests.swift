import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

/// Pricing against two references that share no code with the calculator:
///
/// - `Reference` below: each component written out as one fraction over the published per-unit
///   prices (hand-derived, in checked `Int128`), rounded half to even by a hand-written rule;
/// - `Fixtures/cost-reference.json`: the same costs computed in Python with exact `fractions`
///   from `infra/rates.json` (`make_cost_reference.py`), including the cases that must fail.
///
/// Random cases are seeded (SplitMix64, seed printed on failure) and mix realistic quantities
/// with extremes (0, 1, max, negative, huge).
final class CostPropertyTests: XCTestCase {
    var calculator: CostCalculator!
    let now = utc(2026, 11, 25)

    override func setUpWithError() throws {
        calculator = CostCalculator(rates: try RepositoryFiles.seededRates())
    }

    // MARK: - Hand-derived reference

    /// A component as `numerator / denominator` pico-USD with the published prices typed in
    /// (pico-USD per unit), or nil when the exact value cannot fit `Int128` (and so is far beyond
    /// Int64: every term is non-negative, so partial sums only grow).
    enum Reference {
        /// Rounds p/q (q > 0, p ≥ 0) half to even; nil beyond Int64.
        static func roundHalfEven(_ p: Int128, _ q: Int128) -> Int64? {
            let (quotient, remainder) = p.quotientAndRemainder(dividingBy: q)
            let up = remainder * 2 > q || (remainder * 2 == q && quotient % 2 == 1)
            return Int64(exactly: up ? quotient + 1 : quotient)
        }

        static func sum(_ terms: [(Int128, Int128, Int128)]) -> Int128? {
            var total: Int128 = 0
            for (a, b, c) in terms {
                let (ab, o1) = a.multipliedReportingOverflow(by: b)
                let (abc, o2) = ab.multipliedReportingOverflow(by: c)
                let (next, o3) = total.addingReportingOverflow(abc)
                if o1 || o2 || o3 { return nil }
                total = next
            }
            return total
        }

        /// gpt-4o: $5 input, $2.50 cached, $20 output per 1M tokens (no cache-write surcharge).
        /// claude-3-5-sonnet: $3 input, $0.30 cache read, $3.75 cache write, $15 output.
        /// Denominator 1,000,000 (per 1M tokens).
        static func model(_ name: String, input: Int64, cached: Int64, written: Int64, output: Int64) -> Int64?? {
            let prices: (input: Int128, cached: Int128, write: Int128, output: Int128) =
                name == "gpt-4o"
                ? (5_000_000_000_000, 2_500_000_000_000, 5_000_000_000_000, 20_000_000_000_000)
                : (3_000_000_000_000, 300_000_000_000, 3_750_000_000_000, 15_000_000_000_000)
            let fresh = Int128(input) - Int128(cached) - Int128(written)
            guard
                let n = sum([
                    (fresh, prices.input, 1), (Int128(cached), prices.cached, 1), (Int128(written), prices.write, 1),
                    (Int128(output), prices.output, 1),
                ])
            else { return .some(nil) }
            return roundHalfEven(n, 1_000_000)
        }

        /// Lambda: GB-s = MB/1024 × ms/1000, $0.0000133334 (arm64) or $0.0000166667 (x86_64) per
        /// GB-s, plus $0.20 per 1M requests. Over 128,000,000 (= lcm of 1,024,000 and 1,000,000):
        /// price/GB-s × MB × ms × 125 + price/1M requests × requests × 128.
        static func lambda(arm: Bool, memoryMB: Int64, ms: Int64, requests: Int64) -> Int64?? {
            let perGBs: Int128 = arm ? 13_333_400 : 16_666_700
            guard
                let n = sum([
                    (perGBs * Int128(memoryMB), Int128(ms), 125), (200_000_000_000, Int128(requests), 128),
                ])
            else { return .some(nil) }
            return roundHalfEven(n, 128_000_000)
        }

        /// Express: memory up to 64 MB steps, duration up to 100 ms steps (at least one each),
        /// $0.00001667 per GB-s plus $1.00 per 1M requests; same denominator as Lambda.
        static func express(memoryMB: Int64, ms: Int64, requests: Int64) -> Int64?? {
            let memory = (Int128(max(memoryMB, 1)) + 63) / 64 * 64
            let duration = (Int128(max(ms, 1)) + 99) / 100 * 100
            guard
                let n = sum([
                    (16_670_000 * memory, duration, 125), (1_000_000_000_000, Int128(requests), 128),
                ])
            else { return .some(nil) }
            return roundHalfEven(n, 128_000_000)
        }

        /// ml.g4dn.xlarge at $0.736 per hour: price × ms / 3,600,000.
        static func endpoint(ms: Int64) -> Int64?? {
            guard let n = sum([(736_000_000_000, Int128(ms), 1)]) else { return .some(nil) }
            return roundHalfEven(n, 3_600_000)
        }
    }

    /// Generates a quantity: mostly realistic, sometimes an extreme.
    static func quantity(_ rng: inout SplitMix64, _ realistic: ClosedRange<Int64>) -> Int64 {
        let extremes: [Int64] = [0, 1, 2, 1_000_000, 400_000_000_000, 500_000_000_000, 1 << 40, .max / 2, .max]
        return Int.random(in: 0..<4, using: &rng) == 0
            ? extremes.randomElement(using: &rng)! : Int64.random(in: realistic, using: &rng)
    }

    /// Checks one calculator result against the reference components: equal amounts, or a typed
    /// out-of-range error exactly when the reference says the amount does not fit.
    func check(
        _ usage: BillableUsage, model: Int64??, compute: Int64??, orchestration: Int64??, _ context: String
    ) {
        let expected = [model, compute, orchestration].map { $0 ?? .some(0) }
        let fits = expected.allSatisfy { $0 != nil }
        let total = fits ? expected.reduce(Int128(0)) { $0 + Int128($1!) } : nil
        do {
            let cost = try calculator.cost(of: usage)
            XCTAssertTrue(fits, "expected Billing.AmountOutOfRange: \(context)")
            XCTAssertEqual(cost.model.rawValue, expected[0], "model: \(context)")
            XCTAssertEqual(cost.compute.rawValue, expected[1], "compute: \(context)")
            XCTAssertEqual(cost.orchestration.rawValue, expected[2], "orchestration: \(context)")
            if let total, let exact = Int64(exactly: total) {
                XCTAssertEqual(try cost.total.rawValue, exact, "total: \(context)")
            } else {
                XCTAssertThrowsError(try cost.total, "total beyond Int64: \(context)")
            }
        } catch {
            XCTAssertFalse(fits, "unexpected \(error): \(context)")
            XCTAssertEqual(error.errorType, "Billing.AmountOutOfRange", context)
        }
    }

    func testTokenCostsMatchTheHandDerivedReference() {
        let seed: UInt64 = 0x5EED_0001
        var rng = SplitMix64(seed: seed)
        for i in 0..<5_000 {
            let name = Bool.random(using: &rng) ? "gpt-4o" : "claude-3-5-sonnet"
            let input = Self.quantity(&rng, 0...2_000_000)
            let cached = Int64.random(in: 0...input, using: &rng)
            let written = Int64.random(in: 0...(input - cached), using: &rng)
            let output = Self.quantity(&rng, 0...200_000)
            let usage = BillableUsage(
                timestamp: now, model: name,
                tokens: TokenCounts(input: input, cachedInput: cached, cacheWrite: written, output: output))
            check(
                usage,
                model: Reference.model(name, input: input, cached: cached, written: written, output: output),
                compute: .some(0), orchestration: .some(0),
                "seed \(seed) case \(i): \(name) in=\(input) cached=\(cached) written=\(written) out=\(output)")
        }
    }

    func testComputeAndOrchestrationMatchTheHandDerivedReference() {
        let seed: UInt64 = 0x5EED_0002
        var rng = SplitMix64(seed: seed)
        for i in 0..<5_000 {
            let arm = Bool.random(using: &rng)
            let memory = Self.quantity(&rng, 128...10_240)
            let ms = Self.quantity(&rng, 1...900_000)
            let requests = Int.random(in: 0..<5, using: &rng) == 0 ? Self.quantity(&rng, 1...1_000_000) : 1
            let endpointMs = Self.quantity(&rng, 1...600_000)
            let runMemory = Self.quantity(&rng, 1...512)
            let runMs = Self.quantity(&rng, 1...300_000)
            let context =
                "seed \(seed) case \(i): arm=\(arm) MB=\(memory) ms=\(ms) requests=\(requests) "
                + "endpointMs=\(endpointMs) express MB=\(runMemory) ms=\(runMs)"
            check(
                BillableUsage(
                    timestamp: now,
                    compute: .lambda(
                        architecture: arm ? .arm64 : .x86_64, memoryMB: memory, durationMilliseconds: ms,
                        requests: requests),
                    orchestration: OrchestrationUsage(memoryMB: runMemory, durationMilliseconds: runMs)),
                model: .some(0), compute: Reference.lambda(arm: arm, memoryMB: memory, ms: ms, requests: requests),
                orchestration: Reference.express(memoryMB: runMemory, ms: runMs, requests: 1), context)
            check(
                BillableUsage(
                    timestamp: now, compute: .endpoint(instanceType: "ml.g4dn.xlarge", durationMilliseconds: endpointMs)
                ),
                model: .some(0), compute: Reference.endpoint(ms: endpointMs), orchestration: .some(0), context)
        }
    }

    /// Every negative quantity is refused, whatever else the record holds.
    func testNegativeQuantitiesAlwaysFailTyped() {
        let seed: UInt64 = 0x5EED_0003
        var rng = SplitMix64(seed: seed)
        for i in 0..<2_000 {
            var fields = [Int64](repeating: 0, count: 9)
            for f in fields.indices { fields[f] = Self.quantity(&rng, 0...10_000) }
            fields[Int.random(in: 0..<9, using: &rng)] = -Int64.random(in: 1...Int64.max, using: &rng)
            let usage = BillableUsage(
                timestamp: now, model: "gpt-4o",
                tokens: TokenCounts(input: fields[0], cachedInput: fields[1], output: fields[2]), images: fields[3],
                compute: .lambda(
                    architecture: .arm64, memoryMB: fields[4], durationMilliseconds: fields[5], requests: fields[6]),
                orchestration: OrchestrationUsage(memoryMB: fields[7], durationMilliseconds: fields[8]))
            XCTAssertThrowsError(try calculator.cost(of: usage), "seed \(seed) case \(i): \(fields)") { error in
                XCTAssertEqual(
                    (error as? MoneyError)?.errorType, "Billing.InvalidQuantity", "seed \(seed) case \(i): \(fields)")
            }
        }
    }

    // MARK: - Python fractions reference

    struct Fixture: Decodable {
        struct Case: Decodable {
            struct Tokens: Decodable {
                var input: Int64
                var cachedInput: Int64
                var cacheWrite: Int64
                var output: Int64
                var reasoning: Int64
            }
            struct Compute: Decodable {
                var kind: String
                var architecture: String?
                var instanceType: String?
                var memoryMB: Int64?
                var milliVCPU: Int64?
                var durationMs: Int64
                var requests: Int64?
            }
            struct Orchestration: Decodable {
                var memoryMB: Int64
                var durationMs: Int64
                var requests: Int64
            }
            struct Expected: Decodable {
                var model: Int64
                var compute: Int64
                var orchestration: Int64
                var total: Int64
                var unpriced: [String]
            }
            var timestamp: Int64
            var model: String?
            var tokens: Tokens
            var images: Int64
            var compute: Compute?
            var orchestration: Orchestration?
            var expected: Expected?
            var error: String?
        }
        var rateVersion: String
        var cases: [Case]
    }

    func testCostsMatchPythonFractionsFixture() throws {
        let bytes = try XCTUnwrap(RepositoryFiles.bytes("Tests/SwitchyardBillingTests/Fixtures/cost-reference.json"))
        let fixture = try JSON.decode(Fixture.self, from: bytes)
        XCTAssertEqual(
            fixture.rateVersion, calculator.rates.version,
            "infra/rates.json changed: rerun Tests/SwitchyardBillingTests/Fixtures/make_cost_reference.py")
        XCTAssertGreaterThan(fixture.cases.count, 100)
        for (i, c) in fixture.cases.enumerated() {
            var compute: ComputeUsage?
            if let k = c.compute {
                let arch = Architecture(rawValue: k.architecture ?? "") ?? .x86_64
                switch k.kind {
                case "lambda":
                    compute = .lambda(
                        architecture: arch, memoryMB: k.memoryMB!, durationMilliseconds: k.durationMs,
                        requests: k.requests!)
                case "fargate":
                    compute = .fargate(
                        architecture: arch, milliVCPU: k.milliVCPU!, memoryMB: k.memoryMB!,
                        durationMilliseconds: k.durationMs)
                default:
                    compute = .endpoint(instanceType: k.instanceType!, durationMilliseconds: k.durationMs)
                }
            }
            let usage = BillableUsage(
                timestamp: c.timestamp, model: c.model,
                tokens: TokenCounts(
                    input: c.tokens.input, cachedInput: c.tokens.cachedInput, cacheWrite: c.tokens.cacheWrite,
                    output: c.tokens.output, reasoning: c.tokens.reasoning),
                images: c.images, compute: compute,
                orchestration: c.orchestration.map {
                    OrchestrationUsage(
                        memoryMB: $0.memoryMB, durationMilliseconds: $0.durationMs, requests: $0.requests)
                })
            let context = "fixture case \(i): \(usage)"
            do {
                let cost = try calculator.cost(of: usage)
                let total = try cost.total
                guard let expected = c.expected else {
                    XCTFail("expected \(c.error ?? "?"), got \(cost): \(context)")
                    continue
                }
                XCTAssertEqual(cost.model.rawValue, expected.model, context)
                XCTAssertEqual(cost.compute.rawValue, expected.compute, context)
                XCTAssertEqual(cost.orchestration.rawValue, expected.orchestration, context)
                XCTAssertEqual(total.rawValue, expected.total, context)
                XCTAssertEqual(cost.unpriced.names, expected.unpriced, context)
            } catch {
                XCTAssertEqual(error.errorType, c.error, context)
            }
        }
    }
}
