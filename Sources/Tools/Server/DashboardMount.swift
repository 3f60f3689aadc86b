import SwitchyardCore
import SwitchyardDashboardAPIFunction
import SwitchyardFrontDoor
import SwitchyardMetrics

/// The dashboard's metrics API inside switchyard-server (issue 16): `/dashboard/api/…` answered by
/// the same `MetricsAPI` the dashboard-api function serves (`DashboardAPIConfiguration.makeAPI`),
/// with the path's `/dashboard` prefix removed. It is behind the admin key
/// (`DASHBOARD_ADMIN_KEY`, as `x-admin-key` or `Authorization: Bearer`), never a tenant key: the
/// metrics span every tenant. Without an admin key (or without MongoDB) it is not mounted, and its
/// paths answer 404 like any unknown path.
struct DashboardMount: Sendable {
    static let prefix = "/dashboard"
    let api: MetricsAPI

    /// The mount when `DASHBOARD_ADMIN_KEY` and `MONGODB_URI` are set; nil otherwise.
    /// - Throws: `ConfigurationError`, `BundleError` from the dashboard API's configuration.
    static func make(environment: Environment) throws -> DashboardMount? {
        guard let key = environment["DASHBOARD_ADMIN_KEY"], !key.isEmpty, environment["MONGODB_URI"] != nil else {
            return nil
        }
        let configuration = try DashboardAPIConfiguration(environment: environment)
        return DashboardMount(api: try configuration.makeAPI())
    }

    /// Whether `request` is the dashboard's.
    func handles(_ request: FrontDoorRequest) -> Bool {
        request.path.hasPrefix(Self.prefix + "/api/") || request.path == Self.prefix + "/api"
    }

    func respond(_ request: FrontDoorRequest) async -> FrontDoorResponse {
        var headers: [String: String] = [:]
        for (name, value) in request.headers where headers[name] == nil { headers[name] = value }
        let answer = await api.respond(
            to: APIRequest(
                method: request.method, path: String(request.path.dropFirst(Self.prefix.count)), query: request.query,
                headers: headers, body: request.body))
        return FrontDoorResponse(status: answer.status, headers: answer.headers, body: .bytes(answer.body))
    }
}
