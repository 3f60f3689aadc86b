import SwitchyardContract
import SwitchyardUsage

/// Deterministic, realistic-looking usage records for load, fault and benchmark runs: the same
/// seed and index always give the same record, so a test can recompute the expected totals.
struct SyntheticRecords {
    var seed: UInt64
    var tenants: Int
    /// Epoch ms of record 0; record i is `i × spacingMs` later.
    var start: Int64
    var spacingMs: Int64 = 20

    static let models: [(model: ModelID, provider: ProviderID, backend: UsageBackend, modality: Modality)] = [
        ("gpt-4o", .openAI, .external, .text), ("gpt-4o-mini", .openAI, .external, .text),
        ("claude-3-5-sonnet", .anthropic, .external, .text), ("claude-3-haiku", .anthropic, .external, .text),
        ("smollm2-135m", .openAICompatible, .lambda, .text), ("yolov8n-sagemaker", .sagemaker, .sagemaker, .image),
    ]

    func record(_ i: Int) -> UsageRecord {
        var state = seed &+ UInt64(i) &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int64) -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((state >> 33) % UInt64(bound))
        }
        let unpriced = i % 97 == 96
        let choice = Self.models[Int(next(Int64(Self.models.count)))]
        let failed = i % 13 == 5
        let latency = 20 + next(3000)
        let image = choice.modality == .image
        let input = 50 + next(4000)
        let output = 10 + next(800)
        return UsageRecord(
            requestID: "r-\(seed)-\(i)", step: image ? "vision" : "llm", invocationID: "inv-\(seed)-\(i)",
            attempt: failed ? 1 : 0, executionID: "arn:aws:states:local:000000000000:execution:switchyard:\(seed)-\(i)",
            timestamp: start + Int64(i) * spacingMs,
            tenant: "tenant-\(Int(next(Int64(tenants))))",
            user: "user-\(next(50))", tier: ["basic", "pro", "enterprise"][Int(next(3))],
            route: "rule=default strategy=cheapest", category: image ? .detection : .chat, difficulty: .medium,
            provider: choice.provider, model: unpriced ? "mystery-model" : choice.model, backend: choice.backend,
            modality: choice.modality,
            tokens: image
                ? nil
                : .init(input: input, output: output, cached: next(input / 2 + 1), reasoning: next(output / 4 + 1)),
            images: image ? .init(count: 1, pixels: 640 * 480) : nil,
            latency: .init(totalMs: latency, backendMs: latency - 5, ttftMs: image ? nil : latency / 3),
            status: failed ? .failed : .succeeded,
            errorType: failed ? "Provider.Timeout" : nil,
            errorCause: failed ? "upstream timed out after 30000 ms" : nil,
            compute: image
                ? .init(kind: "endpoint", instanceType: "ml.g4dn.xlarge", durationMs: latency)
                : .init(kind: "lambda", architecture: "arm64", memoryMB: 512, durationMs: latency),
            orchestration: .init(memoryMB: 64, durationMs: latency + 40))
    }
}
