import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardMetrics
import SwitchyardRuntime

/// The `dashboard-api` function: API Gateway (REST, IAM or admin-key protected) proxies every
/// `/api/…` request here; the answer is the metrics API's, status and JSON body included. Bad
/// parameters are 4xx answers, not function errors, so API Gateway passes them to the caller.
public struct DashboardAPIHandler: FunctionHandler {
    public typealias Event = APIGatewayProxyEvent
    let api: MetricsAPI

    public init(api: MetricsAPI) { self.api = api }

    /// Builds the handler from configuration: the usage store and, when the bundle loads, the what-if.
    /// - Throws: `ConfigurationError` (reported to `/runtime/init/error`).
    public init(configuration: DashboardAPIConfiguration) throws {
        self.init(api: try configuration.makeAPI())
    }

    /// The handler as deployed: the secrets `SWITCHYARD_SECRETS` names (on AWS the Mongo secret,
    /// `{"MONGODB_URI": …}`) join the environment first, so the URI never sits in the function's
    /// configuration; a variable already set wins (the local stack sets `MONGODB_URI` itself).
    /// - Throws: `Config.Invalid` naming a secret that cannot be read; `ConfigurationError`.
    public static func make(
        environment: Environment, transport: @autoclosure () -> any HTTPTransport = CurlTransport(),
        secretsTimeout: Duration = .seconds(5)
    ) async throws -> DashboardAPIHandler {
        let resolved = try await SecretEnvironment.resolve(
            environment, transport: transport(), deadline: .now + secretsTimeout)
        return try DashboardAPIHandler(configuration: DashboardAPIConfiguration(environment: resolved))
    }

    public func handle(_ event: APIGatewayProxyEvent, context: InvocationContext) async throws
        -> APIGatewayProxyResponse
    {
        let response: APIResponse
        do {
            response = await api.respond(to: try event.apiRequest())
        } catch {
            response = APIResponse(
                status: error.httpStatus,
                body: Array(
                    #"{"errorType":"\#(error.errorType)","errorMessage":"body flagged base64 but is not"}"#.utf8))
        }
        context.logger.info(
            "dashboard api",
            metadata: ["switchyard.path": "\(event.path.prefix(120))", "switchyard.status": "\(response.status)"])
        return APIGatewayProxyResponse(response)
    }
}
