import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The front door's backend on the state machine: each request's pipeline runs as one synchronous
/// Express execution (`StartSyncExecution`), on AWS (the ingress function) and locally (the
/// server's gateway mode, against the local Step Functions endpoint).
///
/// What Step Functions cannot do stays in process, in `local` (the in-process backend): the
/// admission routing whose decision the front door reserves the cost ceiling of, embeddings, and
/// streamed answers (Step Functions cannot stream). The execution routes the request again (its
/// Route state) and logs every step's usage on the durable path itself, with the same request id,
/// so the reservation is settled by the records the state machine logs.
public struct StepFunctionsBackend: FrontDoorBackend {
    public let local: any FrontDoorBackend
    public let stepFunctions: StepFunctionsClient
    /// The Express state machine; from configuration, never from a request.
    public let stateMachineArn: String
    /// Where the blocking StartSyncExecution call waits (libcurl blocks its thread for the whole
    /// execution); nil: on the caller's executor (a Lambda function serving one request at a time).
    public let pool: BlockingPool?

    public init(
        local: any FrontDoorBackend, stepFunctions: StepFunctionsClient, stateMachineArn: String,
        pool: BlockingPool? = nil
    ) {
        self.local = local
        self.stepFunctions = stepFunctions
        self.stateMachineArn = stateMachineArn
        self.pool = pool
    }

    public var catalog: Catalog { local.catalog }
    public var bundleVersion: String { local.bundleVersion }

    public func route(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> RouteDecision {
        await local.route(request, deadline: deadline)
    }

    /// A streamed call runs in process; a whole answer is the execution's LLM outcome (the pipeline
    /// as the state machine runs it, for the request the plan was made for).
    public func callLLM(
        _ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)?
    ) async -> LLMOutcome {
        guard onText == nil, let request = input.request else {
            return await local.callLLM(input, invocationID: invocationID, deadline: deadline, onText: onText)
        }
        let started = ContinuousClock.now
        let response = await run(request, deadline: deadline)
        if let outcome = response.llm { return outcome }
        let error =
            response.rejection ?? response.error
            ?? StepError(
                errorType: "FrontDoor.UnexpectedRoute",
                errorMessage: "the pipeline took the \(response.route.rawValue) route for a chat completion")
        return LLMOutcome(
            requestID: request.requestID, status: .failed, answer: nil, attempts: [], usage: [], error: error,
            latencyMs: Self.milliseconds(since: started))
    }

    public func run(_ request: InferenceRequest, deadline: ContinuousClock.Instant) async -> PipelineResponse {
        let input: [UInt8]
        do { input = try JSON.encode(request) } catch {
            return Self.failed(request, StepError(errorType: "FrontDoor.Internal", errorMessage: "\(error)"))
        }
        guard input.count <= Self.maximumInputBytes else {
            return Self.failed(
                request,
                StepError(
                    errorType: "FrontDoor.PayloadTooLarge",
                    errorMessage: "the request is \(input.count) bytes after moving images out; "
                        + "an execution takes at most \(Self.maximumInputBytes)"))
        }
        let start = { @Sendable () async -> Result<StepFunctionsClient.SyncExecution, AWSError> in
            do throws(AWSError) {
                // No name: Express names need not be unique, but a local engine keys executions by
                // name, and an Idempotency-Key retry must not collide with the first execution.
                return .success(
                    try await stepFunctions.startSyncExecution(
                        stateMachineArn: stateMachineArn, name: nil, input: input, deadline: deadline))
            } catch { return .failure(error) }
        }
        let result = if let pool { await withTaskExecutorPreference(pool) { await start() } } else { await start() }
        switch result {
        case .success(let execution): return Self.response(of: execution, for: request)
        case .failure(let error):
            return Self.failed(request, Self.startRefusal(error))
        }
    }

    /// The error type of an execution the service would not start, or that ended throttled:
    /// the front door answers it with 429 and `retry-after` (`FrontDoorError.throttled`).
    public static let throttledErrorType = "FrontDoor.StateMachineThrottled"

    /// A start the service refused, as a step error: throttling (`ThrottlingException`, a 429) and
    /// `ExecutionLimitExceeded` become `throttledErrorType` (a retry may pass); anything else keeps
    /// the AWS error type.
    static func startRefusal(_ error: AWSError) -> StepError {
        var throttled = error.errorType == "AWS.Throttled"
        if case .service(_, _, let code, _) = error, code == "ExecutionLimitExceeded" { throttled = true }
        return StepError(errorType: throttled ? throttledErrorType : error.errorType, errorMessage: error.errorMessage)
    }

    /// Express's limit on an execution's input and output.
    public static let maximumInputBytes = 256 << 10

    /// The execution's answer as a `PipelineResponse`: its output when it succeeded; a `failed`
    /// response naming the execution's error (`States.Timeout` for `TIMED_OUT`) otherwise.
    public static func response(
        of execution: StepFunctionsClient.SyncExecution, for request: InferenceRequest
    ) -> PipelineResponse {
        switch execution.status {
        case "SUCCEEDED":
            guard let output = execution.output,
                let response = try? JSON.decode(PipelineResponse.self, from: Array(output.utf8))
            else {
                return failed(
                    request,
                    StepError(
                        errorType: "FrontDoor.MalformedPipelineOutput",
                        errorMessage: "the execution's output is not a pipeline response"))
            }
            return response
        case "TIMED_OUT":
            return failed(
                request, StepError(errorType: "States.Timeout", errorMessage: "the execution timed out"))
        default:
            var type = execution.error.flatMap { $0.isEmpty ? nil : String($0.prefix(100)) } ?? "States.Failed"
            // Lambda throttling outlasted the state machine's own retries: a refusal to retry later.
            if type == "Lambda.TooManyRequestsException" { type = throttledErrorType }
            // The cause may quote a function's error document; keep it short (no prompt text is in it).
            let cause = execution.cause.map { String($0.prefix(300)) } ?? "the execution failed"
            return failed(request, StepError(errorType: type, errorMessage: cause))
        }
    }

    static func failed(_ request: InferenceRequest, _ error: StepError) -> PipelineResponse {
        PipelineResponse(
            requestID: request.requestID, route: .llm, tier: "", explanation: "the pipeline did not answer",
            status: .failed, error: error)
    }

    static func milliseconds(since start: ContinuousClock.Instant) -> Int64 {
        let elapsed = ContinuousClock.now - start
        return elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
    }

    public func embed(
        _ texts: [String], candidates: [LLMCandidate], context: UsageContext, dimensions: Int?, invocationID: String,
        deadline: ContinuousClock.Instant
    ) async -> EmbeddingResult {
        await local.embed(
            texts, candidates: candidates, context: context, dimensions: dimensions, invocationID: invocationID,
            deadline: deadline)
    }

    public func budget(ofTenant tenant: String) -> (tier: String, budget: PicoUSD)? { local.budget(ofTenant: tenant) }
    public func price(of model: ModelID) -> ModelList.Price? { local.price(of: model) }
    public func cost(of records: [UsageRecord]) -> PicoUSD { local.cost(of: records) }
}
