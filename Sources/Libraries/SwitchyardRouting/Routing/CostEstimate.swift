import SwitchyardBilling
import SwitchyardContract

/// One model's prices from the rates table, resolved once per bundle load, in exact integer
/// form: pico-USD per 1M tokens and per image, and the compute the model bills for as a
/// fraction per busy millisecond.
///
/// Estimates price every input token at the fresh-input price: the router cannot know what a
/// provider will serve from its prompt cache, and the fresh price is the upper bound (cache
/// reads are cheaper; cache-write surcharges apply only when the client asks for caching).
struct PriceCard: Sendable {
    var inputPerMillion: Int128
    var outputPerMillion: Int128
    var perImage: Int128
    /// Compute price per busy ms is `computePerMs / computeDenominator` pico-USD (0: no compute billed).
    var computePerMs: Int128
    var computeDenominator: Int128
    /// Per call (Lambda's request fee), rounded up to whole pico-USD.
    var perCall: Int128

    /// - Precondition: the model has a rate (and its compute one) at `time`; `RoutingBundle` checks that.
    init(_ model: CatalogModel, rates: RatesTable, at time: Int64) {
        let rate = rates.model(model.id.rawValue, at: time)!
        inputPerMillion = Int128(rate.inputPerMillionTokens.rawValue)
        outputPerMillion = Int128(rate.outputPerMillionTokens.rawValue)
        perImage = Int128(rate.perImage.rawValue)
        computePerMs = 0
        computeDenominator = 1
        perCall = 0
        guard let compute = model.compute else { return }
        let architecture = ComputeSpec.estimateArchitecture
        switch compute.kind {
        case "lambda":
            // GB-seconds from MB·ms: ÷ 1024 ÷ 1000.
            let lambda = rates.lambda(architecture, at: time)!
            computePerMs = Int128(lambda.perGBSecond.rawValue) * Int128(compute.memoryMB!)
            computeDenominator = 1_024_000
            perCall = Self.ceilDiv(Int128(lambda.perMillionRequests.rawValue), 1_000_000)
        case "endpoint":
            // The amortised view, as billing prices it: busy ms × hourly price.
            computePerMs = Int128(rates.endpoint(compute.instanceType!, at: time)!.perHour.rawValue)
            computeDenominator = 3_600_000
        case "fargate":
            // vCPU-hours from milli-vCPU·ms (÷ 1000 ÷ 3.6M) plus GB-hours from MB·ms (÷ 1024 ÷ 3.6M),
            // over one denominator.
            let fargate = rates.fargate(architecture, at: time)!
            computePerMs =
                Int128(fargate.perVCPUHour.rawValue) * Int128(compute.milliVCPU!) * 1024
                + Int128(fargate.perGBHour.rawValue) * Int128(compute.memoryMB!) * 1000
            computeDenominator = 1000 * 1024 * 3_600_000
        default:
            return
        }
    }

    /// The cost of one call, rounded up to whole pico-USD (estimates err high); nil when it is
    /// beyond what `PicoUSD` holds.
    ///
    /// Every factor is an `Int64` or smaller, so each product fits `Int128` and so does their sum.
    @inline(__always)
    func cost(inputTokens: Int, outputTokens: Int, images: Int, busyMs: Int) -> PicoUSD? {
        let tokens = Int128(inputTokens) * inputPerMillion + Int128(outputTokens) * outputPerMillion
        var total = Self.ceilDiv(tokens, 1_000_000) + Int128(images) * perImage + perCall
        if computePerMs != 0 { total += Self.ceilDiv(computePerMs * Int128(busyMs), computeDenominator) }
        return total <= Int128(Int64.max) ? PicoUSD(Int64(total)) : nil
    }

    @inline(__always) static func ceilDiv(_ a: Int128, _ b: Int128) -> Int128 { (a + b - 1) / b }
}

/// Cost and latency estimates of one call to one model.
struct CallEstimate {
    /// nil: beyond the representable range (a hostile size or a misconfigured rate).
    var cost: PicoUSD?
    var latencyP50Ms: Int
    var latencyP95Ms: Int
}

extension RoutingTable {
    /// Estimates one call of `model` for a request of this size.
    ///
    /// Inputs are bounded before they get here (prompt and output-token limits, catalog latency
    /// ranges, health figures clamped by `ModelHealth.clamped`), so the integer latency
    /// arithmetic stays far inside `Int`; money is computed in `Int128` and checked.
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
            // One detector pass per image.
            p50 *= images
            p95 *= images
        }
        let cost: PicoUSD?
        if model.kind == .vision {
            cost = model.price.cost(inputTokens: 0, outputTokens: 0, images: max(images, 1), busyMs: p50)
        } else {
            cost = model.price.cost(inputTokens: inputTokens, outputTokens: outputTokens, images: 0, busyMs: p50)
        }
        return CallEstimate(cost: cost, latencyP50Ms: p50, latencyP95Ms: p95)
    }

    /// Per-attempt timeout: expected p95 times the policy's multiplier, clamped to its bounds
    /// and to the request's latency cap. Clamped as a `Double` first, so no product can trap on
    /// its way back to `Int`.
    @inline(__always)
    func attemptTimeout(p95Ms: Int, latencyCapMs: Int?) -> Int {
        let settings = policy.defaults.attemptTimeout
        let scaled = (Double(p95Ms) * settings.multiplier).rounded(.up)
        var timeout = Int(min(max(scaled, Double(settings.minMs)), Double(settings.maxMs)))
        if let cap = latencyCapMs { timeout = min(timeout, max(cap, 1)) }
        return timeout
    }
}
