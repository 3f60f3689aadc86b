// The authorizer Lambda function: see SwitchyardAuthorizerFunction.AuthorizerHandler.
import SwitchyardAuthorizerFunction
import SwitchyardCore
import SwitchyardRuntime

await RuntimeLoop.runBytes { try await AuthorizerHandler(environment: .process) }
