import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction

/// What a benchmark call must return to count: anything else is reported as a failure and its
/// time is not recorded.
struct Expectation {
    var textBytes: Int?
    var inputTokens: Int64?
    var outputTokens: Int64?

    /// Why `outcome` does not meet the expectation, or nil when it does.
    func problem(_ outcome: LLMOutcome) -> String? {
        guard outcome.status == .succeeded, let answer = outcome.answer else {
            return "status \(outcome.status.rawValue): \(outcome.error?.errorType ?? "no answer")"
        }
        if let n = textBytes, answer.text.utf8.count != n { return "text of \(answer.text.utf8.count) bytes" }
        if answer.tokens.estimated { return "usage estimated" }
        if let n = inputTokens, answer.tokens.input != n { return "input tokens \(answer.tokens.input)" }
        if let n = outputTokens, answer.tokens.output != n { return "output tokens \(answer.tokens.output)" }
        if outcome.usage.count != 1 || outcome.usage[0].tokens != answer.tokens { return "usage records differ" }
        return nil
    }
}

enum Measure {
    /// Calls the handler back to back, timing only calls that meet `expect`. Not isolated to the
    /// main actor, so the loop runs on one executor with no actor hop per call, as the Lambda
    /// runtime's loop does.
    static func run(_ handler: LLMCallerHandler, _ input: LLMStepInput, calls: Int, warmup: Int, expect: Expectation)
        async -> JSON
    {
        var samples: [Int64] = []
        samples.reserveCapacity(calls)
        var failures: [String: Int] = [:]
        for i in 0..<(warmup + calls) {
            let start = ContinuousClock.now
            let outcome = await handler.call(
                input, invocationID: "inproc-bench-\(i)", deadline: .now.advanced(by: .seconds(30)))
            let elapsed = ContinuousClock.now - start
            if let problem = expect.problem(outcome) {
                failures[problem, default: 0] += 1
                continue
            }
            if i >= warmup { samples.append(Int64(elapsed.fractionalMicroseconds)) }
        }
        samples.sort()
        func pct(_ p: Double) -> JSON {
            samples.isEmpty ? .null : .integer(samples[min(samples.count - 1, Int(Double(samples.count) * p))])
        }
        let mean = samples.reduce(0, +) / Int64(max(1, samples.count))
        return JSON.object([
            "calls": .integer(Int64(calls)), "timed": .integer(Int64(samples.count)),
            "failures": .integer(Int64(failures.values.reduce(0, +))),
            "failure_kinds": .object(
                JSONObject(failures.sorted { $0.key < $1.key }.map { ($0.key, .integer(Int64($0.value))) })),
            "p50_us": pct(0.5), "p90_us": pct(0.9), "p99_us": pct(0.99), "max_us": .integer(samples.last ?? 0),
            "mean_us": .integer(mean),
            // Peak RSS after all calls: flat across call counts means no growth under load.
            "max_rss_kb": .integer(ToolIO.maxRSSKilobytes()),
        ])
    }
}
