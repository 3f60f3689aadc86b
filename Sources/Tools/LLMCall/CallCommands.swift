import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction

/// The handler runs of `llm-call`: one call, repeated calls, one embedding.
enum CallCommands {
    static func makeHandler() -> LLMCallerHandler {
        do {
            return try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: .process))
        } catch {
            ToolIO.fail("\(error)")
        }
    }

    /// Embeds an EmbeddingStepInput; prints the EmbeddingOutcome and exits 2 when it failed.
    static func embed(_ options: CallOptions) async throws -> Never {
        let input: EmbeddingStepInput
        do {
            input = try JSON.decode(EmbeddingStepInput.self, from: ToolIO.read(options.inputPath))
        } catch {
            ToolIO.fail("not an EmbeddingStepInput: \(describeDecodingError(error))")
        }
        let outcome = await makeHandler().embed(
            input, invocationID: "inproc-llm-call", deadline: .now.advanced(by: .seconds(60)))
        ToolIO.print(try JSON.encode(outcome))
        exit(outcome.status == .failed ? 2 : 0)
    }

    /// One call of an LLMStepInput (prints the LLMOutcome; exit 2 when failed), or `--repeat N`
    /// calls measured (prints the latency percentiles; exit 0).
    static func call(_ options: CallOptions) async throws -> Never {
        let input: LLMStepInput
        do {
            input = try JSON.decode(LLMStepInput.self, from: ToolIO.read(options.inputPath))
        } catch {
            ToolIO.print(
                JSON.object([
                    "errorType": "Runtime.InvalidEvent", "errorMessage": .string(describeDecodingError(error)),
                ])
                .serialized())
            exit(2)
        }
        let handler = makeHandler()

        if options.repeatCount > 0 {
            ToolIO.print(
                await Measure.run(
                    handler, input, calls: options.repeatCount, warmup: options.warmup, expect: options.expect
                ).serialized())
            exit(0)
        }

        let outcome = await handler.call(
            input, invocationID: "inproc-llm-call", deadline: .now.advanced(by: .seconds(60)))
        ToolIO.print(try JSON.encode(outcome))
        exit(outcome.status == .failed ? 2 : 0)
    }
}
