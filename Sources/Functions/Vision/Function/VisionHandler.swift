import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardImageFetch
import SwitchyardRuntime
import SwitchyardVision

/// The `vision` Lambda function: `VisionStepInput` in, `VisionOutcome` out.
///
/// For each image in turn: check and fetch it, decode it (capped), run the plan's first detector
/// that answers, post-process, drop the pixels. A detector that fails (unreachable, timed out,
/// refused, bad output) hands over to the plan's next one, for that image and the rest: the
/// outcome is then `degraded`. When no detector answers, or an image cannot be read, the outcome
/// is `failed` with an `error`; it is still a normal response carrying the usage of every
/// detector call made, so the state machine logs it. Only an event that does not decode is a
/// Lambda error (`Runtime.InvalidEvent`).
public struct VisionHandler: FunctionHandler {
    public typealias Event = VisionStepInput
    public typealias Output = VisionOutcome

    public let configuration: VisionConfiguration
    public let detectors: Detectors
    public let limits: VisionLimits
    public let fetcher: ImageFetcher

    public init(
        configuration: VisionConfiguration, detectors: Detectors, limits: VisionLimits, fetcher: ImageFetcher
    ) {
        self.configuration = configuration
        self.detectors = detectors
        self.limits = limits
        self.fetcher = fetcher
    }

    /// Everything the environment names: the catalog's detectors (in-process models opened and
    /// warmed), the caps for this memory size, the image fetcher.
    /// - Throws: `Config.*`, `Vision.ModelUnavailable`, `ONNX.LibraryUnavailable`: init errors.
    public static func make(environment: Environment, transport: any HTTPTransport = CurlTransport()) async throws
        -> VisionHandler
    {
        let configuration = try VisionConfiguration(environment: environment)
        let s3 = try? S3Client.fromEnvironment(environment, transport: transport)
        let detectors = try await Detectors.load(
            configuration, transport: transport,
            modelFiles: ModelFiles(
                modelDirectory: configuration.modelDirectory, cacheDirectory: configuration.modelCacheDirectory,
                environment: environment, s3: s3))
        let limits = try VisionLimits.fromEnvironment(environment, inProcessModelBytes: detectors.inProcessModelBytes)
        let fetcher = ImageFetcher(
            transport: transport, s3: s3, maxBytes: limits.maxImageBytes, timeout: configuration.fetchTimeout)
        return VisionHandler(configuration: configuration, detectors: detectors, limits: limits, fetcher: fetcher)
    }

    public func handle(_ event: VisionStepInput, context: InvocationContext) async throws -> VisionOutcome {
        // The runtime's deadline already keeps back the time it needs to report.
        await run(event, invocationID: context.requestID, deadline: context.deadline)
    }

    /// One invocation; never throws: every failure is in the outcome.
    public func run(_ input: VisionStepInput, invocationID: String, deadline: ContinuousClock.Instant) async
        -> VisionOutcome
    {
        var run = VisionRun(handler: self, input: input, invocationID: invocationID, deadline: deadline)
        return await run.execute()
    }
}
