import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardDashboardAPIFunction
import SwitchyardMetrics
import SwitchyardRouting

/// `month`: a realistic month of traffic for screenshots and load. Every request is routed by the
/// real router over the real bundle (policy, catalog, rates), so the models, tiers and estimates
/// are what Switchyard would have chosen; then the steps are recorded as the functions record them:
/// the router's record, the LLM call (with rate limits, timeouts and upstream errors retried on
/// the decision's fallback, and a few final failures) or the detector, and the orchestration
/// record. Traffic follows a daily curve (busier in the UTC afternoon) and weekdays; tenants,
/// categories and difficulties are weighted; token counts are log-normal. Deterministic per `--seed`.
struct MonthCommand {
    let arguments: SeedArguments

    init(_ arguments: SeedArguments) { self.arguments = arguments }

    func run() async throws -> [String: Any] {
        let days = try arguments.int("days", 30, 1...366)
        let requests = try arguments.int("requests", 20_000, 1...5_000_000)
        let end = Granularity.minute.floor(try arguments.int64("end", WallClock.nowMilliseconds()))
        var rng = SplitMix64(seed: UInt64(try arguments.int64("seed", 1)))
        let bundle = try DashboardBundle.load(
            (
                arguments.options["policy"] ?? "infra/policy.json",
                arguments.options["catalog"] ?? "infra/catalog.json",
                arguments.options["rates"] ?? "infra/rates.json"
            ), at: end)
        let generator = TrafficGenerator(bundle: bundle)
        var writer = try await SeedWriter(arguments: arguments)
        let start = end - Int64(days) * 86_400_000
        let times = TrafficGenerator.arrivalTimes(count: requests, from: start, to: end, rng: &rng)
        var routed = 0
        var rejected = 0
        for (i, time) in times.enumerated() {
            let records = generator.request(index: i, at: time, rng: &rng)
            if records.first?.status == .rejected { rejected += 1 } else { routed += 1 }
            for record in records { try await writer.add(record) }
        }
        try await writer.flush(final: true)
        var summary = writer.summary()
        summary["requests"] = requests
        summary["rejected"] = rejected
        summary["from"] = start
        summary["to"] = end
        return summary
    }
}

/// A small, fast, deterministic generator (Steele, Lea, Flood 2014).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }

    /// Log-normal with the given median and shape.
    mutating func logNormal(median: Double, sigma: Double) -> Double {
        let u1 = max(unit(), 1e-12)
        let u2 = unit()
        let normal = (-2 * Foundation.log(u1)).squareRoot() * Foundation.cos(2 * Double.pi * u2)
        return median * Foundation.exp(sigma * normal)
    }

    mutating func pick<T>(_ weighted: [(T, Double)]) -> T {
        let total = weighted.reduce(0) { $0 + $1.1 }
        var x = unit() * total
        for (value, weight) in weighted {
            x -= weight
            if x < 0 { return value }
        }
        return weighted[weighted.count - 1].0
    }
}
