// llm-call: runs the llm-caller's handler in-process, for integration tests and benchmarks.
//
//   llm-call [FILE|-]                      one call of an LLMStepInput; prints the LLMOutcome
//                                          (exit 0), exit 2 when its status is failed
//   llm-call --repeat N [--warmup W] [--expect-text-bytes B] [--expect-input-tokens I]
//            [--expect-output-tokens O] FILE
//                                          N calls; latency percentiles (µs) of the calls that met
//                                          the expectation, failures counted apart and never timed
//   llm-call --embed FILE                   embeds an EmbeddingStepInput ({"texts","plan","context"});
//                                          prints the EmbeddingOutcome (exit 2 when failed)
//   llm-call --sse-bench MEGABYTES          SSE parse throughput on a synthetic OpenAI stream
//
// Configuration (catalog, keys, endpoints) comes from the environment exactly as for the function.
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction

var args = Array(CommandLine.arguments.dropFirst())
var repeatCount = 0
var warmup = 20
var sseMegabytes = 0
var expect = Expectation()
var embed = false
var positional: [String] = []
while !args.isEmpty {
    let a = args.removeFirst()
    switch a {
    case "--repeat": repeatCount = ToolIO.number(&args, a)
    case "--warmup": warmup = ToolIO.number(&args, a)
    case "--sse-bench": sseMegabytes = ToolIO.number(&args, a)
    case "--embed": embed = true
    case "--expect-text-bytes": expect.textBytes = ToolIO.number(&args, a)
    case "--expect-input-tokens": expect.inputTokens = Int64(ToolIO.number(&args, a))
    case "--expect-output-tokens": expect.outputTokens = Int64(ToolIO.number(&args, a))
    default: positional.append(a)
    }
}

if sseMegabytes > 0 {
    ToolIO.print(SSEBenchmark.run(megabytes: sseMegabytes).serialized())
    exit(0)
}

func makeHandler() -> LLMCallerHandler {
    do {
        return try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: .process))
    } catch {
        ToolIO.fail("\(error)")
    }
}

if embed {
    let input: EmbeddingStepInput
    do {
        input = try JSON.decode(EmbeddingStepInput.self, from: ToolIO.read(positional.first ?? "-"))
    } catch {
        ToolIO.fail("not an EmbeddingStepInput: \(describeDecodingError(error))")
    }
    let outcome = await makeHandler().embed(
        input, invocationID: "inproc-llm-call", deadline: .now.advanced(by: .seconds(60)))
    ToolIO.print(try JSON.encode(outcome))
    exit(outcome.status == .failed ? 2 : 0)
}

let input: LLMStepInput
do {
    input = try JSON.decode(LLMStepInput.self, from: ToolIO.read(positional.first ?? "-"))
} catch {
    ToolIO.print(
        JSON.object(["errorType": "Runtime.InvalidEvent", "errorMessage": .string(describeDecodingError(error))])
            .serialized())
    exit(2)
}
let handler = makeHandler()

if repeatCount > 0 {
    ToolIO.print(await Measure.run(handler, input, calls: repeatCount, warmup: warmup, expect: expect).serialized())
    exit(0)
}

let outcome = await handler.call(input, invocationID: "inproc-llm-call", deadline: .now.advanced(by: .seconds(60)))
ToolIO.print(try JSON.encode(outcome))
exit(outcome.status == .failed ? 2 : 0)
