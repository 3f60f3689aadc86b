// The usage-logger function: prices usage messages and stores them durably in MongoDB.
import SwitchyardCore
import SwitchyardRuntime
import SwitchyardUsageLoggerFunction

await RuntimeLoop.run {
    try await UsageLoggerHandler.make(
        configuration: await UsageLoggerConfiguration(resolvingSecretsIn: .process))
}
