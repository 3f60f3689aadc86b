// llm-call: runs the llm-caller's handler in-process, for integration tests and benchmarks.
//
//   llm-call [FILE|-]                    one call; prints the output JSON (exit 0), or the
//                                        function error {"errorType","errorMessage"} (exit 2)
//   llm-call --repeat N [--warmup W] FILE  N calls; prints latency percentiles in microseconds
//   llm-call --sse-bench MEGABYTES        SSE parse throughput on a synthetic OpenAI stream
//
// Configuration comes from the environment exactly as for the Lambda function.
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardProviders

#if canImport(Glibc)
    import Glibc
#endif

func fail(_ message: String) -> Never {
    let line = Array("llm-call: \(message)\n".utf8)
    _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    exit(64)
}

func number(_ args: inout [String], _ flag: String) -> Int {
    guard !args.isEmpty, let n = Int(args.removeFirst()) else { fail("\(flag) needs a number") }
    return n
}

func readInput(_ path: String) -> [UInt8] {
    if path == "-" {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = read(0, &buffer, buffer.count)
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }
    do { return try FileReader.read(path) } catch { fail("\(error)") }
}

func printJSON(_ bytes: [UInt8]) {
    print(String(decoding: bytes, as: UTF8.self))
}

var args = Array(CommandLine.arguments.dropFirst())
var repeatCount = 0
var warmup = 20
var sseMegabytes = 0
var positional: [String] = []
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--repeat": repeatCount = number(&args, a)
    case "--warmup": warmup = number(&args, a)
    case "--sse-bench": sseMegabytes = number(&args, a)
    default: positional.append(a)
    }
}

if sseMegabytes > 0 {
    printJSON(SSEBenchmark.run(megabytes: sseMegabytes).serialized())
    exit(0)
}

let input: LLMCallInput
do {
    input = try JSON.decode(LLMCallInput.self, from: readInput(positional.first ?? "-"))
} catch {
    printJSON(
        JSON.object(["errorType": "Runtime.InvalidEvent", "errorMessage": .string(describeDecodingError(error))])
            .serialized())
    exit(2)
}
let handler: LLMCallerHandler
do {
    handler = try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: .process))
} catch {
    fail("\(error)")
}

if repeatCount > 0 {
    printJSON(await measure(handler, input, calls: repeatCount, warmup: warmup).serialized())
    exit(0)
}

/// Calls the handler back to back. Not isolated to the main actor, so the loop runs on one
/// executor with no actor hop per call, as the Lambda runtime's loop does.
func measure(_ handler: LLMCallerHandler, _ input: LLMCallInput, calls: Int, warmup: Int) async -> JSON {
    var samples: [Int64] = []
    samples.reserveCapacity(calls)
    var failures = 0
    for i in 0..<(warmup + calls) {
        let start = ContinuousClock.now
        do {
            _ = try await handler.call(input, deadline: .now.advanced(by: .seconds(30)))
        } catch {
            failures += 1
        }
        let (s, a) = (ContinuousClock.now - start).components
        if i >= warmup { samples.append(s * 1_000_000 + a / 1_000_000_000_000) }
    }
    samples.sort()
    func pct(_ p: Double) -> JSON { .integer(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) }
    let mean = samples.reduce(0, +) / Int64(max(1, samples.count))
    // Peak resident set size after all calls: flat across call counts means no growth under load.
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return JSON.object([
        "calls": .integer(Int64(calls)), "failures": .integer(Int64(failures)), "p50_us": pct(0.5),
        "p90_us": pct(0.9), "p99_us": pct(0.99), "max_us": .integer(samples.last ?? 0), "mean_us": .integer(mean),
        "max_rss_kb": .integer(Int64(usage.ru_maxrss)),
    ])
}

do {
    let output = try await handler.call(input, deadline: .now.advanced(by: .seconds(60)))
    printJSON(try JSON.encode(output))
} catch let error as LLMCallFailure {
    printJSON(
        JSON.object(["errorType": .string(error.errorType), "errorMessage": .string(error.errorMessage)]).serialized())
    exit(2)
}
