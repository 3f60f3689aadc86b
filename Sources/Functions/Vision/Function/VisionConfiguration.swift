import SwitchyardAWS
import SwitchyardCore
import SwitchyardVision

/// The vision function's settings, read once at init. Environment variables:
/// - `VISION_BACKEND`: `local` (default), `sagemaker` (raw tensor, SigV4) or `hosting-sample`.
/// - `VISION_ENDPOINT_URL`: the endpoint's `/invocations` URL for `local` (default
///   `http://127.0.0.1:8080/invocations`), and for the others when not using a SageMaker endpoint name.
/// - `VISION_SAGEMAKER_ENDPOINT`: SageMaker endpoint name (`sagemaker`, and `hosting-sample` on AWS);
///   with `AWS_REGION` and the execution role's credentials.
/// - `VISION_MODEL_METADATA`: class names and input size: the model's `.onnx` file itself (its
///   Ultralytics metadata), or a JSON file from `scripts/vision-model-metadata` (to avoid shipping the model).
/// - `VISION_INPUT_SIZE`: model input side when there is no metadata file. Default 640.
/// - `VISION_MAX_BATCH`: images per endpoint request. Default 1.
/// - `VISION_MAX_IMAGE_BYTES`: encoded image cap, inline or fetched. Default 20 MB.
/// - `VISION_MAX_PIXELS`: decoded pixel cap, checked from the header. Default 40 000 000.
/// - `VISION_MAX_IMAGES`: images per request. Default 16.
/// - `VISION_FETCH_TIMEOUT_MS`: per image fetch. Default 10 000.
/// - `VISION_ALLOW_PRIVATE_URLS`: allow http:// and loopback/private URL hosts (local use). Default false.
/// - `AWS_ENDPOINT_URL_S3` / `AWS_ENDPOINT_URL`: S3 endpoint override (e.g. a local S3).
public struct VisionConfiguration: Sendable {
    public enum BackendKind: String, Sendable {
        case local, sagemaker
        case hostingSample = "hosting-sample"
    }

    public var backend: BackendKind
    public var endpointURL: String
    public var usesSigV4: Bool
    public var region: String?
    public var credentials: AWSCredentials?
    public var metadata: ModelMetadata
    public var maxBatch: Int
    public var maxImages: Int
    public var limits: DecodeLimits
    public var maxImageBytes: Int
    public var fetchTimeout: Duration
    public var allowPrivateURLs: Bool
    public var s3BaseURL: String

    public init(environment: Environment) throws(ConfigurationError) {
        guard let backend = BackendKind(rawValue: environment.string("VISION_BACKEND", default: "local")) else {
            throw .invalid(
                variable: "VISION_BACKEND", value: environment["VISION_BACKEND"] ?? "",
                expected: "local, sagemaker or hosting-sample")
        }
        self.backend = backend
        credentials = try? AWSCredentials.fromEnvironment(environment)
        region = try? AWSEndpoint.region(environment)
        if let endpointName = environment["VISION_SAGEMAKER_ENDPOINT"], !endpointName.isEmpty, backend != .local {
            guard let region else { throw .missing(variable: "AWS_REGION") }
            guard credentials != nil else { throw .missing(variable: "AWS_ACCESS_KEY_ID") }
            endpointURL = EndpointClient.sageMakerURL(
                endpointName: endpointName, region: region, environment: environment)
            usesSigV4 = true
        } else {
            if backend == .sagemaker { throw .missing(variable: "VISION_SAGEMAKER_ENDPOINT") }
            endpointURL = environment.string("VISION_ENDPOINT_URL", default: "http://127.0.0.1:8080/invocations")
            usesSigV4 = false
        }
        if let path = environment["VISION_MODEL_METADATA"], !path.isEmpty {
            metadata =
                path.hasSuffix(".onnx")
                ? try ONNXMetadataReader.read(try FileReader.read(path, limit: 1 << 30), source: path)
                : try ModelMetadata.parse(try FileReader.read(path, limit: 1 << 20), source: path)
        } else {
            let size = try environment.int("VISION_INPUT_SIZE", default: 640, range: 32...4096)
            metadata = ModelMetadata(inputWidth: size, inputHeight: size)
        }
        maxBatch = try environment.int("VISION_MAX_BATCH", default: 1, range: 1...64)
        maxImages = try environment.int("VISION_MAX_IMAGES", default: 16, range: 1...256)
        limits = DecodeLimits(
            maxPixels: try environment.int("VISION_MAX_PIXELS", default: 40_000_000, range: 1...400_000_000))
        maxImageBytes = try environment.int("VISION_MAX_IMAGE_BYTES", default: 20 << 20, range: 1...(512 << 20))
        fetchTimeout = .milliseconds(
            try environment.int("VISION_FETCH_TIMEOUT_MS", default: 10_000, range: 1...900_000))
        allowPrivateURLs = try environment.bool("VISION_ALLOW_PRIVATE_URLS", default: false)
        s3BaseURL = AWSEndpoint.resolve(
            serviceID: "S3", hostPrefix: "s3", region: region ?? "us-east-1", environment: environment)
    }
}
