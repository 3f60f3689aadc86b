import SwitchyardCore
import SwitchyardRuntime
import SwitchyardVision
import SwitchyardVisionFunction

await RuntimeLoop.run { try VisionHandler(configuration: VisionConfiguration(environment: .process)) }
