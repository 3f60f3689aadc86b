import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction

/// `bench-step`: the retrieval step's added latency, in process on one warm handler (as a warm
/// Lambda runs it). The same LLMStepInput is called with its retrieval plan and without it,
/// alternately, after `--warmup` calls of each; the first (cold) call is reported on its own.
/// A call that fails, or whose retrieval is not `retrieved`, is counted and not timed; one in the
/// warm-up (the cold load may outlast RETRIEVAL_TIMEOUT_MS under load) is reported apart.
enum BenchStepCommand {
    static func run(_ options: Options) async -> Never {
        let calls = options.int("calls", default: 50, range: 1...100_000)
        let warmup = options.int("warmup", default: 5, range: 0...10_000)
        var input: LLMStepInput
        do { input = try JSON.decode(LLMStepInput.self, from: FileReader.read(options.string("input"))) } catch {
            Tool.fail("--input: not an LLMStepInput: \(error)")
        }
        guard input.retrieval != nil else { Tool.fail("--input has no retrieval plan") }
        var plain = input
        plain.retrieval = nil
        let handler: LLMCallerHandler
        do { handler = try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: .process)) } catch {
            Tool.fail("\(error)")
        }
        var step: [Double] = [], withRetrieval: [Double] = [], without: [Double] = []
        var failures: [String: Int] = [:]
        var warmupFailures: [String: Int] = [:]
        var cold: JSON = .null
        for i in 0..<(warmup + calls) {
            for grounded in [true, false] {
                let t = ContinuousClock.now
                let outcome = await handler.call(
                    grounded ? input : plain, invocationID: "bench-step-\(i)-\(grounded)",
                    deadline: .now + .seconds(30))
                let ms = Tool.elapsedMs(since: t)
                let report = outcome.retrieval
                if i == 0, grounded {
                    cold = .object([
                        "callMs": .double(ms.rounded()), "stepMs": report.map { .integer($0.latencyMs) } ?? .null,
                        "status": .string(report?.status ?? outcome.status.rawValue),
                    ])
                }
                if outcome.status == .failed || (grounded && report?.status != "retrieved") {
                    let why = report?.error?.errorType ?? report?.status ?? outcome.error?.errorType ?? "failed"
                    if i >= warmup { failures[why, default: 0] += 1 } else { warmupFailures[why, default: 0] += 1 }
                    continue
                }
                guard i >= warmup else { continue }
                if grounded {
                    withRetrieval.append(ms)
                    step.append(Double(report?.latencyMs ?? 0))
                } else {
                    without.append(ms)
                }
            }
        }
        func counts(_ c: [String: Int]) -> JSON {
            .object(JSONObject(c.sorted { $0.key < $1.key }.map { ($0.key, .integer(Int64($0.value))) }))
        }
        func percentiles(_ samples: [Double]) -> JSON {
            let sorted = samples.sorted()
            func p(_ q: Double) -> JSON {
                sorted.isEmpty
                    ? .null : .double(sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)])
            }
            return .object(["n": .integer(Int64(sorted.count)), "p50Ms": p(0.5), "p99Ms": p(0.99)])
        }
        let report: JSONObject = [
            "calls": .integer(Int64(calls)), "warmup": .integer(Int64(warmup)), "cold": cold,
            "step": percentiles(step), "callWithRetrieval": percentiles(withRetrieval),
            "callWithout": percentiles(without),
            "failures": counts(failures), "warmupFailures": counts(warmupFailures),
        ]
        print(JSON.object(report).serializedString)
        exit(failures.isEmpty ? 0 : 2)
    }
}
