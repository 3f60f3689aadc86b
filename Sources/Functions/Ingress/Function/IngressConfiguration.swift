import Logging
import SwitchyardAWS
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardHTTP
import SwitchyardLLMCallerFunction
import SwitchyardRouterFunction
import SwitchyardUsage

/// The ingress's settings, read once at init (after the secrets `SWITCHYARD_SECRETS` names).
///
/// | variable | meaning (default) |
/// |---|---|
/// | `SWITCHYARD_STATE_MACHINE_ARN` | the Express state machine whole answers run on (required) |
/// | `SWITCHYARD_UPLOAD_S3` | `s3://bucket/prefix/` for inline images of bodies above ~200 KiB (none: not moved) |
/// | `SWITCHYARD_BILLING` | `on`: reserve budgets in MongoDB's ledger and enqueue usage on `USAGE_QUEUE_URL` (on) |
/// | `USAGE_QUEUE_URL`, `MONGODB_URI`, `SWITCHYARD_DB` | the usage queue and the ledger (required with billing) |
/// | `SWITCHYARD_MAX_BODY_BYTES` | largest request body after base64 (5 MiB; Lambda takes 6 MB events) |
/// | `SWITCHYARD_REQUEST_TIMEOUT_MS` | longest one request may run, the execution included (120000) |
/// | `AWS_ENDPOINT_URL_SFN`, `_S3`, `_SQS` / `AWS_ENDPOINT_URL` | endpoints (local stacks) |
///
/// The router and the llm-caller code read their own variables (bundle, provider keys), as their
/// functions do.
public struct IngressConfiguration: Sendable {
    public var stateMachineArn: String
    public var upload: UploadLocation?
    public var billing: Bool
    public var maxBodyBytes: Int
    public var frontDoor: FrontDoorConfiguration

    public init(environment: Environment) throws(ConfigurationError) {
        stateMachineArn = try environment.require("SWITCHYARD_STATE_MACHINE_ARN")
        upload = try environment["SWITCHYARD_UPLOAD_S3"].flatMap { (text) throws(ConfigurationError) in
            text.isEmpty ? nil : try UploadLocation(parsing: text, variable: "SWITCHYARD_UPLOAD_S3")
        }
        billing = try environment.bool("SWITCHYARD_BILLING", default: true)
        maxBodyBytes = try environment.int(
            "SWITCHYARD_MAX_BODY_BYTES", default: 5 << 20, range: 1024...(6 << 20))
        frontDoor = FrontDoorConfiguration()
        frontDoor.requestTimeout = .milliseconds(
            Int64(try environment.int("SWITCHYARD_REQUEST_TIMEOUT_MS", default: 120_000, range: 1000...900_000)))
    }
}

extension IngressHandler {
    /// Everything the function needs, from its environment: secrets, the in-process router and
    /// llm-caller, the Step Functions backend over them, the ledger and the usage queue.
    /// - Throws: `ConfigurationError` naming the variable.
    public init(environment base: Environment, logger: Logger = Logger(label: "switchyard.ingress")) async throws {
        let transport = CurlTransport()
        let environment = try await SecretEnvironment.resolve(base, transport: transport, deadline: .now + .seconds(5))
        let configuration = try IngressConfiguration(environment: environment)
        var billing: FrontDoorBilling?
        if configuration.billing {
            let ledger = try MongoUsageSink(
                configuration: MongoUsageConfiguration(environment: environment), logger: logger)
            let queue = SQSUsageQueue(
                client: try SQSClient(environment: environment, transport: transport),
                queueURL: try environment.require("USAGE_QUEUE_URL"))
            billing = FrontDoorBilling(ledger: ledger, queue: queue)
        }
        // The llm-caller reads the catalog the router just parsed (unless an overlay rewrites it):
        // parsing it twice was an eighth of the ingress's init.
        let routerConfiguration = try RouterConfiguration(environment: environment)
        let router = try RouterHandler(configuration: routerConfiguration)
        let llmConfiguration = try LLMCallerConfiguration(
            environment: environment, parsed: router.parsedCatalog(routerConfiguration))
        // One request at a time per execution environment: a few threads for blocking calls suffice.
        // No detector in process: whole answers, the vision ones included, run on the state machine.
        let local = InProcessBackend(
            pipeline: InProcessPipeline(
                router: router, llm: try LLMCallerHandler(configuration: llmConfiguration),
                vision: nil, pool: BlockingPool(threads: 4), usage: billing?.queue,
                enqueueTimeout: configuration.frontDoor.enqueueTimeout, logger: logger))
        let backend = StepFunctionsBackend(
            local: local, stepFunctions: try StepFunctionsClient.fromEnvironment(environment, transport: transport),
            stateMachineArn: configuration.stateMachineArn, pool: local.pool)
        let offload = try configuration.upload.map { (location) throws(ConfigurationError) in
            BodyOffload(s3: try S3Client.fromEnvironment(environment, transport: transport), location: location)
        }
        // The authorizer admitted the key; the ingress's key ring is empty and never consulted.
        let service = FrontDoorService(
            keys: KeyRing(store: try KeyStore()), backend: backend, billing: billing,
            configuration: configuration.frontDoor, logger: logger)
        self.init(service: service, offload: offload, maxBodyBytes: configuration.maxBodyBytes)
    }
}
