import SwitchyardCore
import SwitchyardRuntime
import SwitchyardVisionFunction

await RuntimeLoop.run { try await VisionHandler.make(environment: .process) }
