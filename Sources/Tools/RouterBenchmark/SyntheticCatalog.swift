import SwitchyardContract
import SwitchyardRouting

/// Grows the repository policy's catalog to `count` models for the benchmark, by adding regional
/// and versioned variants of its LLMs and detectors with shifted prices, latencies and quality,
/// so the router weighs a realistic 50-model catalog rather than 16.
enum SyntheticCatalog {
    static func grow(_ policy: RoutingPolicy, to count: Int) -> RoutingPolicy {
        var policy = policy
        let templates = policy.models.filter { $0.kind != .embedding }
        let regions = ["eu", "ap", "us-west", "ca", "sa", "me"]
        var n = 0
        while policy.models.count < count {
            var model = templates[n % templates.count]
            let variant = n / templates.count
            model.id = "\(model.id)-\(regions[variant % regions.count])-\(variant)"
            let shift = Int64(90 + (n * 7) % 25)  // 90%…114% of the template's prices
            model.prices.inputPerMillion = model.prices.inputPerMillion * shift / 100
            model.prices.outputPerMillion = model.prices.outputPerMillion * shift / 100
            model.prices.perSecond = model.prices.perSecond * shift / 100
            model.latency.p50Ms = model.latency.p50Ms * Int(100 + (n * 13) % 40) / 100
            model.latency.p95Ms = max(model.latency.p95Ms * Int(100 + (n * 13) % 40) / 100, model.latency.p50Ms)
            for (key, value) in model.quality { model.quality[key] = max(0, min(1, value - Double((n * 3) % 7) / 100)) }
            policy.models.append(model)
            n += 1
        }
        return policy
    }
}
