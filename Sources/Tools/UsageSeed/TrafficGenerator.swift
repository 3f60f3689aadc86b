import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// Turns one synthetic request into the usage records the functions would write for it.
struct TrafficGenerator {
    let bundle: RoutingBundle
    let router: Router
    let tenants: [(String, Double)]

    static let categories: [(TaskCategory, Double)] = [
        (.chat, 30), (.code, 18), (.summarization, 14), (.extraction, 8), (.legal, 7), (.medical, 5), (.math, 6),
        (.translation, 6), (.creative, 6),
    ]
    static let difficulties: [(Difficulty, Double)] = [(.easy, 50), (.medium, 35), (.hard, 15)]
    static let providerErrors: [(String, Double)] = [
        ("Provider.RateLimited", 55), ("Provider.Timeout", 25), ("Provider.UpstreamError", 20),
    ]

    init(bundle: RoutingBundle) {
        self.bundle = bundle
        router = Router(bundle: bundle)
        // Earlier tenants in the policy send more: a few large customers and a long tail.
        tenants = bundle.policy.tenants.enumerated().map { ($1.id, 1.0 / Double($0 + 1)) }
    }

    /// Request start times over `[from, to)`, in order, shaped by hour of day and weekday.
    static func arrivalTimes(count: Int, from: Int64, to: Int64, rng: inout SplitMix64) -> [Int64] {
        // Weight per hour of the range; sampling hours by weight, then a uniform offset within.
        let hours = Int((to - from) / 3_600_000)
        var cumulative: [Double] = []
        cumulative.reserveCapacity(max(hours, 1))
        var total = 0.0
        for h in 0..<max(hours, 1) {
            let time = from + Int64(h) * 3_600_000
            let hourOfDay = Double((time / 3_600_000) % 24)
            let weekday = (time / 86_400_000 + 4) % 7  // 0 = Sunday (1970-01-01 was a Thursday)
            let daily = 0.35 + 0.65 * max(0, Foundation.sin((hourOfDay - 6) / 24 * 2 * Double.pi))
            total += daily * (weekday == 0 || weekday == 6 ? 0.55 : 1.0)
            cumulative.append(total)
        }
        var times: [Int64] = []
        times.reserveCapacity(count)
        for _ in 0..<count {
            let x = rng.unit() * total
            var lo = 0
            var hi = cumulative.count - 1
            while lo < hi {
                let mid = (lo + hi) / 2
                if cumulative[mid] > x { hi = mid } else { lo = mid + 1 }
            }
            let offset = Int64(rng.unit() * 3_600_000)
            times.append(min(to - 1, from + Int64(lo) * 3_600_000 + offset))
        }
        return times.sorted()
    }

    func request(index: Int, at start: Int64, rng: inout SplitMix64) -> [UsageRecord] {
        let tenant = rng.pick(tenants)
        let vision = rng.unit() < 0.08
        let category: TaskCategory = vision ? .detection : rng.pick(Self.categories)
        let difficulty = rng.pick(Self.difficulties)
        let input = Int64(min(60_000, max(20, rng.logNormal(median: 700, sigma: 0.9))))
        let output = Int64(min(4_000, max(5, rng.logNormal(median: category == .code ? 500 : 220, sigma: 0.7))))
        let requestID = String(format: "seed-%08x-%07d", UInt32(truncatingIfNeeded: start / 1000), index)
        let profile = RequestProfile(
            requestID: requestID, tenantID: tenant, modality: vision ? .image : .text,
            usageModality: vision ? .image : .text, classifierText: "", promptBytes: Int(input) * 4,
            inputTokens: Int(input), imageCount: vision ? 1 : 0, requestedOutputTokens: Int(output))
        let classification = Classification(
            category: category, difficulty: difficulty, confidence: 0.9, classifier: "learned")
        let tier = router.table.tierName(ofTenant: tenant) ?? "-"
        var context = UsageContext(requestID: requestID, tenantID: tenant, tier: tier)
        context.executionID = "exec-\(requestID)"
        context.category = category
        context.difficulty = difficulty
        context.bundleVersion = bundle.version
        let routerLatency = Int64(rng.logNormal(median: 9, sigma: 0.4))
        var routerRecord = UsageRecord(
            context: context, step: "router", invocationID: "inv-r-\(requestID)", timestamp: start, backend: .lambda,
            modality: vision ? .image : .text, latency: .init(totalMs: routerLatency), status: .succeeded)
        routerRecord.compute = .init(kind: "lambda", architecture: "arm64", memoryMB: 256, durationMs: routerLatency)

        let decision = try? router.decide(profile, classification: classification)
        guard let decision, decision.rejection == nil else {
            routerRecord.status = .rejected
            routerRecord.errorType = decision?.rejection?.errorType ?? "Router.NoEligibleModel"
            return [routerRecord]
        }
        context.route = decision.route.rawValue
        context.estimatedCostPicoUSD = decision.estimatedCostPicoUSD
        routerRecord.route = context.route
        routerRecord.estimatedCostPicoUSD = decision.estimatedCostPicoUSD
        var records = [routerRecord]
        var t = start + routerLatency + 15
        let candidates: [ModelID] =
            vision
            ? (decision.vision?.candidates.map(\.model) ?? []) : (decision.llm?.candidates.map(\.model) ?? [])
        // Attempts: a transient provider error moves to the next candidate; ~1.5 % fail throughout.
        let failEverything = rng.unit() < 0.015
        for (attempt, model) in candidates.enumerated() {
            guard let spec = bundle.catalog.model(model) else { break }
            let last = attempt == candidates.count - 1
            let failed = failEverything || (attempt == 0 && rng.unit() < 0.06) || (attempt > 0 && rng.unit() < 0.1)
            let latency =
                failed
                ? Int64(rng.logNormal(median: 400, sigma: 0.8))
                : Int64(rng.logNormal(median: Double(spec.latency.p50Ms), sigma: 0.45))
            var record = UsageRecord(
                context: context, step: vision ? "vision" : "llm", invocationID: "inv-m-\(requestID)",
                attempt: attempt, timestamp: t, backend: Self.backend(spec), modality: vision ? .image : .text,
                latency: .init(totalMs: max(1, latency)),
                status: failed ? .failed : (attempt > 0 ? .fallback : .succeeded))
            record.provider = spec.provider
            record.model = model
            if vision {
                record.images = .init(count: 1, pixels: 1280 * 720)
            } else {
                record.tokens = failed ? .init(input: 0, output: 0) : .init(input: input, output: output)
            }
            if failed { record.errorType = rng.pick(Self.providerErrors) }
            if let compute = spec.compute {
                // What the usage validation asks of each kind: Lambda and Fargate name their
                // architecture (and Fargate its vCPU and memory), endpoints their instance type.
                let fargate = compute.kind == "fargate"
                record.compute = .init(
                    kind: compute.kind,
                    architecture: compute.kind == "lambda" ? "arm64" : fargate ? "x86_64" : nil,
                    memoryMB: compute.memoryMB ?? (fargate ? 2048 : nil),
                    milliVCPU: fargate ? (compute.milliVCPU ?? 1024) : compute.milliVCPU,
                    instanceType: compute.instanceType, durationMs: max(1, latency))
            }
            records.append(record)
            t += max(1, latency)
            if !failed || last || attempt >= 2 { break }
        }
        var orchestration = UsageRecord(
            context: context, step: "orchestration", invocationID: "inv-o-\(requestID)", timestamp: t, backend: .none,
            modality: .none, latency: .init(totalMs: t - start),
            status: records.last!.status == .failed ? .failed : .succeeded)
        orchestration.orchestration = .init(memoryMB: 64, durationMs: t - start)
        records.append(orchestration)
        return records
    }

    static func backend(_ model: CatalogModel) -> UsageBackend {
        switch model.compute?.kind {
        case "lambda": .lambda
        case "endpoint": .sagemaker
        case "fargate": .fargate
        default: model.provider.rawValue == "openai-compatible" ? .lambda : .external
        }
    }
}
