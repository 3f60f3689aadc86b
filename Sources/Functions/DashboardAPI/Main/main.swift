// The dashboard-api function: the metrics API behind API Gateway (REST, IAM or an admin key).
import SwitchyardCore
import SwitchyardDashboardAPIFunction
import SwitchyardRuntime

await RuntimeLoop.run { try await DashboardAPIHandler.make(environment: .process) }
