// The ingress Lambda function (API Gateway → front door → Step Functions): see
// SwitchyardIngressFunction.IngressHandler.
import SwitchyardCore
import SwitchyardIngressFunction
import SwitchyardRuntime

await RuntimeLoop.runBytes { try await IngressHandler(environment: .process) }
