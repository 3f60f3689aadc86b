// The llm-caller Lambda function: see SwitchyardLLMCallerFunction.LLMCallerHandler.
import SwitchyardCore
import SwitchyardLLMCallerFunction
import SwitchyardRuntime

await RuntimeLoop.run {
    try LLMCallerHandler(configuration: await LLMCallerConfiguration(resolvingSecretsIn: .process))
}
