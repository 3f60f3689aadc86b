import Foundation
import SwitchyardBilling
import SwitchyardJSON

/// `cost-bench --expected FILE [--iterations N]`: ns per cost computation. Every timed cost is
/// checked against --expected (one JSON line per record index: [model, compute, orchestration,
/// total] pico-USD, from scripts/bench-usage's Python `fractions` reference); a mismatch fails the
/// run instead of being timed.
enum CostBenchCommand {
    static func run(_ context: IngestContext) {
        let calculator = context.calculator
        let generator = context.generator
        let iterations = context.arguments.int("iterations", 2_000_000)
        let usages = (0..<1024).map { generator.record($0).billableUsage() }
        guard let expectedPath = context.arguments.options["expected"],
            let expectedText = FileManager.default.contents(atPath: expectedPath)
        else { fail("cost-bench needs --expected FILE (see scripts/bench-usage)") }
        let expected: [[Int64]] = String(decoding: expectedText, as: UTF8.self).split(separator: "\n").map { line in
            (try? JSON.decode([Int64].self, from: Array(line.utf8))) ?? []
        }
        guard expected.count == usages.count, expected.allSatisfy({ $0.count == 4 }) else {
            fail("--expected must hold \(usages.count) lines of [model, compute, orchestration, total]")
        }
        func check(_ i: Int, _ cost: CostBreakdown) -> Bool {
            let want = expected[i]
            return cost.model.rawValue == want[0] && cost.compute.rawValue == want[1]
                && cost.orchestration.rawValue == want[2] && (try? cost.total.rawValue) == want[3]
        }
        for i in 0..<usages.count {
            guard let cost = try? calculator.cost(of: usages[i]), check(i, cost) else {
                let got = (try? calculator.cost(of: usages[i])).map { "\($0)" } ?? "an error"
                fail("record \(i): got \(got), the reference says \(expected[i])", code: 1)
            }
        }
        var mismatches = 0
        let clock = ContinuousClock()
        let started = clock.now
        for i in 0..<iterations {
            let k = i & 1023
            do {
                if !check(k, try calculator.cost(of: usages[k])) { mismatches += 1 }
            } catch {
                mismatches += 1
            }
        }
        let elapsed = clock.now - started
        guard mismatches == 0 else { fail("\(mismatches) timed costs differ from the reference", code: 1) }
        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
        let records = (0..<1024).map { generator.record($0) }
        let pricedStart = clock.now
        for i in 0..<(iterations / 10) {
            let k = i & 1023
            guard (try? records[k].priced(by: calculator).cost?.totalPicoUSD) == expected[k][3] else {
                fail("priced record \(k) differs from the reference", code: 1)
            }
        }
        let pricedElapsed = clock.now - pricedStart
        let pricedNs =
            Double(pricedElapsed.components.seconds) * 1e9 + Double(pricedElapsed.components.attoseconds) / 1e9
        emit([
            "command": "cost-bench", "iterations": iterations, "nsPerCost": nanoseconds / Double(iterations),
            "nsPerPricedRecord": pricedNs / Double(iterations / 10), "validated": iterations + iterations / 10,
        ])
    }
}
