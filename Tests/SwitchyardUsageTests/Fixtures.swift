import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardUsage

/// Records and rates for tests.
enum Fixtures {
    static let repositoryRoot: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/")
    }()

    static let calculator: CostCalculator = {
        let bytes = FileManager.default.contents(atPath: repositoryRoot + "/infra/rates.json")!
        return CostCalculator(rates: try! RatesTable(bytes: Array(bytes)))
    }()

    /// 2026-11-18T12:00:00Z
    static let noon: Int64 = 1_795_003_200_000

    static func llm(
        _ requestID: String, tenant: String = "acme", model: String = "gpt-4o", input: Int64 = 1000,
        output: Int64 = 500,
        latencyMs: Int64 = 120, status: UsageStatus = .succeeded, at timestamp: Int64 = noon
    ) -> UsageRecord {
        UsageRecord(
            requestID: requestID, step: "llm", invocationID: "inv-\(requestID)", executionID: "exec-\(requestID)",
            timestamp: timestamp, tenant: tenant, user: "u1", tier: "pro", route: "rule=default strategy=cheapest",
            provider: .openAI, model: ModelID(model), backend: .external, modality: .text,
            tokens: .init(input: input, output: output), latency: .init(totalMs: latencyMs), status: status,
            errorType: status == .failed ? "Provider.Timeout" : nil,
            compute: .init(kind: "lambda", architecture: "arm64", memoryMB: 256, durationMs: latencyMs))
    }
}

extension UsageRecord {
    /// Priced with the repository's rates (fixtures never leave the representable range).
    func pricedForTest() -> UsageRecord { try! priced(by: Fixtures.calculator) }
}
