import SwitchyardAWS
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardHTTP
import SwitchyardIngressFunction

/// The local gateway: `switchyard-server --gateway` (or `SWITCHYARD_GATEWAY=on`) runs each request's
/// pipeline through the state machine on the local Step Functions endpoint (`StepFunctionsBackend`,
/// the AWS ingress's backend) instead of in process.
///
/// | variable | meaning |
/// |---|---|
/// | `SWITCHYARD_STATE_MACHINE_ARN` | the Express state machine (required in gateway mode) |
/// | `AWS_ENDPOINT_URL_SFN` / `AWS_ENDPOINT_URL` | the local Step Functions endpoint |
/// | `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` | what requests are signed with (the local engine's) |
/// | `SWITCHYARD_UPLOAD_S3` | `s3://bucket/prefix/` for inline images of bodies above ~200 KiB (optional) |
struct GatewayMode {
    let stateMachineArn: String
    let stepFunctions: StepFunctionsClient
    let offload: BodyOffload?

    /// nil unless gateway mode is asked for.
    /// - Throws: `ConfigurationError` naming the variable.
    init?(environment: Environment, arguments: [String]) throws {
        let asked = try environment.bool("SWITCHYARD_GATEWAY", default: false)
        guard asked || arguments.contains("--gateway") else { return nil }
        stateMachineArn = try environment.require("SWITCHYARD_STATE_MACHINE_ARN")
        let transport = CurlTransport()
        stepFunctions = try StepFunctionsClient.fromEnvironment(environment, transport: transport)
        if let upload = environment["SWITCHYARD_UPLOAD_S3"], !upload.isEmpty {
            offload = BodyOffload(
                s3: try S3Client.fromEnvironment(environment, transport: transport),
                location: try UploadLocation(parsing: upload, variable: "SWITCHYARD_UPLOAD_S3"))
        } else {
            offload = nil
        }
    }

    /// The state machine's backend over the in-process one (admission routing, embeddings, streams).
    func backend(over local: InProcessBackend) -> StepFunctionsBackend {
        StepFunctionsBackend(
            local: local, stepFunctions: stepFunctions, stateMachineArn: stateMachineArn, pool: local.pool)
    }

    /// The request with its inline images in S3 when its body is large (see `BodyOffload`); a 413
    /// for one that still cannot be an execution's input.
    func prepare(_ request: FrontDoorRequest, deadline: ContinuousClock.Instant) async -> Result<
        FrontDoorRequest, FrontDoorError
    > {
        do throws(FrontDoorError) {
            var request = request
            if let offload, request.method == "POST" {
                request.body = try await offload.offload(request.body, deadline: deadline)
            }
            try BodyOffload.checkFitsExecution(request)
            return .success(request)
        } catch { return .failure(error) }
    }
}
