import SwitchyardContract

/// Cost and latency estimates of one call to one model, in router units.
struct CallEstimate {
    var costMicroUSD: Int64
    var latencyP50Ms: Int
    var latencyP95Ms: Int
}

extension RoutingTable {
    /// Estimates one call of `model` for a request of this size.
    ///
    /// Token costs are computed exactly in micro-USD × 10⁻⁶ and rounded up once, so a
    /// fraction-of-a-micro-dollar call still costs something and sums stay conservative.
    @inline(__always)
    func estimate(model i: Int, inputTokens: Int, outputTokens: Int, images: Int, health: ModelHealth?) -> CallEstimate
    {
        let model = cores[i]
        let prior = model.latency
        var p50: Int
        var p95: Int
        if let health, health.samples >= policy.defaults.minLatencySamples {
            p50 = health.p50Ms
            p95 = max(health.p95Ms, health.p50Ms)
        } else if model.kind == .llm, let tps = prior.outputTokensPerSecond {
            p50 = (prior.ttftMs ?? 0) + outputTokens * 1000 / tps
            p95 = p50 * prior.p95Ms / prior.p50Ms
        } else {
            p50 = prior.p50Ms
            p95 = prior.p95Ms
        }
        if model.kind == .vision, images > 1 {
            // One detector call per image.
            p50 *= images
            p95 *= images
        }
        let prices = model.prices
        var cost: Int64 = 0
        if model.kind != .vision {
            let tokenCost = Int64(inputTokens) * prices.inputPerMillion + Int64(outputTokens) * prices.outputPerMillion
            cost += (tokenCost + 999_999) / 1_000_000
        }
        cost += Int64(images) * prices.perImage
        cost += (prices.perSecond * Int64(p50) + 999) / 1000
        cost += prices.perRequest * Int64(model.kind == .vision ? max(images, 1) : 1)
        return CallEstimate(costMicroUSD: cost, latencyP50Ms: p50, latencyP95Ms: p95)
    }

    /// Per-attempt timeout: expected p95 times the policy's multiplier, clamped to its bounds
    /// and to the request's latency cap.
    @inline(__always)
    func attemptTimeout(p95Ms: Int, latencyCapMs: Int?) -> Int {
        let settings = policy.defaults.attemptTimeout
        var timeout = Int(Double(p95Ms) * settings.multiplier)
        timeout = min(max(timeout, settings.minMs), settings.maxMs)
        if let cap = latencyCapMs { timeout = min(timeout, max(cap, 1)) }
        return timeout
    }
}
