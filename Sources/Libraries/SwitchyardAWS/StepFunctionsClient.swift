import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Starts Express executions synchronously (`StartSyncExecution`, awsJson1_0 on the
/// `sync-states.` host; locally the Step Functions endpoint the stack runs answers it too).
public struct StepFunctionsClient: Sendable {
    public let client: AWSJSONClient

    public init(endpoint: String, signer: SigV4Signer, transport: any HTTPTransport) {
        client = AWSJSONClient(
            endpoint: endpoint, signer: signer, targetPrefix: "AWSStepFunctions", transport: transport,
            jsonVersion: "1.0")
    }

    /// The client for the function's region and role. `AWS_ENDPOINT_URL_SFN` /
    /// `AWS_ENDPOINT_URL` override the endpoint (the SDKs' service id for Step Functions is `SFN`).
    /// - Throws: `Config.Missing` without credentials or region.
    public static func fromEnvironment(_ environment: Environment, transport: any HTTPTransport)
        throws(ConfigurationError) -> StepFunctionsClient
    {
        let region = try AWSEndpoint.region(environment)
        return StepFunctionsClient(
            endpoint: AWSEndpoint.resolve(
                serviceID: "SFN", hostPrefix: "sync-states", region: region, environment: environment),
            signer: SigV4Signer(
                credentials: try AWSCredentials.fromEnvironment(environment), region: region, service: "states"),
            transport: transport)
    }

    /// How a synchronous execution ended.
    public struct SyncExecution: Sendable, Equatable {
        /// `SUCCEEDED`, `FAILED` or `TIMED_OUT`.
        public var status: String
        /// The execution's output (JSON text) when it succeeded.
        public var output: String?
        /// The error and cause of a failed execution (States.*, or the failing task's errorType).
        public var error: String?
        public var cause: String?
        public var executionArn: String?

        public init(status: String, output: String?, error: String?, cause: String?, executionArn: String?) {
            self.status = status
            self.output = output
            self.error = error
            self.cause = cause
            self.executionArn = executionArn
        }
    }

    /// StartSyncExecution. The input is JSON text; Express caps it (and the output) at 256 KiB.
    /// - Parameter name: the execution's name (the request id, so a retry is visible as one name).
    /// - Throws: `AWS.ServiceError` (`InvalidExecutionInput`, `StateMachineDoesNotExist`…),
    ///   `AWS.Throttled`, `HTTP.*` transport errors, `AWS.MalformedResponse`.
    public func startSyncExecution(
        stateMachineArn: String, name: String?, input: [UInt8], deadline: ContinuousClock.Instant
    ) async throws(AWSError) -> SyncExecution {
        var request: JSONObject = [
            "stateMachineArn": .string(stateMachineArn), "input": .string(String(decoding: input, as: UTF8.self)),
        ]
        if let name { request["name"] = .string(name) }
        // The output is at most 256 KiB of JSON text, escaped once more inside the answer.
        let answer = try await client.call(
            "StartSyncExecution", .object(request), deadline: deadline, maxResponseBytes: 2 << 20)
        guard let status = answer["status"]?.stringValue else {
            throw .malformedResponse(service: "states", detail: "StartSyncExecution's answer has no status")
        }
        return SyncExecution(
            status: status, output: answer["output"]?.stringValue, error: answer["error"]?.stringValue,
            cause: answer["cause"]?.stringValue, executionArn: answer["executionArn"]?.stringValue)
    }
}
