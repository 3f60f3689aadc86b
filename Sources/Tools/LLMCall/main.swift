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
import SwitchyardCore

let options = CallOptions(Array(CommandLine.arguments.dropFirst()))
if options.sseMegabytes > 0 {
    ToolIO.print(SSEBenchmark.run(megabytes: options.sseMegabytes).serialized())
    exit(0)
}
if options.embed { try await CallCommands.embed(options) }
try await CallCommands.call(options)
