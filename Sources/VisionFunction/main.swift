import SwitchyardCore
import SwitchyardRuntime
import SwitchyardVision

await RuntimeLoop.run { try VisionHandler(configuration: VisionConfiguration(environment: .process)) }
