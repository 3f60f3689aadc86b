// The usage-logger function: prices usage records and stores them in MongoDB.
import SwitchyardCore
import SwitchyardRuntime
import SwitchyardUsageLoggerFunction

await RuntimeLoop.run { try UsageLoggerHandler(configuration: UsageLoggerConfiguration(environment: .process)) }
