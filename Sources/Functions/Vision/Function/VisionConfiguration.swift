import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardImageFetch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The vision function's settings, read once at init. Which detectors exist and where they run
/// comes from the catalog (never from an event); the environment says where the catalog and the
/// models are and how much the function may hold. Variables:
///
/// - `SWITCHYARD_BUNDLE_DIR` / `LAMBDA_TASK_ROOT`: where `catalog.json` (and `image-access.json`,
///   models) are found, through `ConfigLocator`.
/// - `SWITCHYARD_CATALOG_OVERLAY`: a catalog overlay (endpoints, regions) for the local stack,
///   e.g. `local/catalog-overlay.json`. Default none.
/// - `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`: memory in MB (set by Lambda; default 1024); the image
///   caps and inference threads derive from it (`VisionLimits`).
/// - `VISION_MAX_IMAGES`, `VISION_MAX_IMAGE_BYTES`, `VISION_MAX_PIXELS`: override a derived cap.
/// - `VISION_THREADS`: onnxruntime threads for in-process detectors. Default from memory.
/// - `VISION_FETCH_TIMEOUT_MS`: per image fetch. Default 10 000.
/// - `VISION_MODEL_DIR`: directory for relative model files, before the bundle. Default none.
/// - `VISION_MODEL_CACHE_DIR`: where `s3://` models are cached. Default `/tmp/switchyard-models`.
/// - `VISION_WARMUP`: run each in-process model once at init. Default false: on demand a cold
///   request pays init and its first invoke, and the warm-up is one whole inference more (one
///   yolov8n run, ~90 ms of CPU here) to save the first run's extra (arena, ~2 ms); set it for
///   provisioned concurrency, where init is paid before any request (docs/vision.md).
/// - `IMAGE_ACCESS_*`: what images may be read (`ImageAccessConfiguration`).
/// - `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: SageMaker and
///   S3 (required only when the catalog has a SageMaker detector or an image is on S3);
///   `AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME`, `AWS_ENDPOINT_URL_S3`: local stand-ins.
/// - `ONNXRUNTIME_LIBRARY`: path of `libonnxruntime.so` (see `ONNXRuntime`).
public struct VisionConfiguration: Sendable {
    public var catalog: Catalog
    public var catalogSource: String
    public var memoryMB: Int
    /// `x86_64` or `arm64`: this function's architecture, for its compute records.
    public var architecture: String
    public var threads: Int
    public var fetchTimeout: Duration
    public var modelDirectory: String?
    public var modelCacheDirectory: String
    public var warmUp: Bool
    public var access: ImageAccessConfiguration
    public var region: String?
    public var credentials: AWSCredentials?
    public var environment: Environment

    /// - Throws: `Config.*` naming the variable or file at fault.
    public init(environment: Environment) throws(ConfigurationError) {
        let catalogPath = try ConfigLocator.require("catalog.json", environment: environment)
        var catalog = try Catalog.parse(try FileReader.read(catalogPath, limit: 16 << 20), source: catalogPath)
        var source = catalogPath
        if let overlay = environment["SWITCHYARD_CATALOG_OVERLAY"], !overlay.isEmpty {
            let path = try ConfigLocator.require(overlay, environment: environment)
            catalog = try catalog.applying(overlay: try FileReader.read(path, limit: 4 << 20), source: path)
            source += " + \(path)"
        }
        self.catalog = catalog
        catalogSource = source
        memoryMB = try environment.int(
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", default: 1024, range: ComputeEnvironment.memoryRange)
        architecture = ComputeEnvironment.binaryArchitecture
        let online = Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        threads = try environment.int(
            "VISION_THREADS", default: VisionLimits.inferenceThreads(memoryMB: memoryMB, onlineCPUs: online),
            range: 1...64)
        fetchTimeout = .milliseconds(
            try environment.int("VISION_FETCH_TIMEOUT_MS", default: 10_000, range: 1...900_000))
        modelDirectory = environment["VISION_MODEL_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        modelCacheDirectory = environment.string("VISION_MODEL_CACHE_DIR", default: "/tmp/switchyard-models")
        warmUp = try environment.bool("VISION_WARMUP", default: false)
        access = try ImageAccessConfiguration(environment: environment)
        region = try? AWSEndpoint.region(environment)
        credentials = try? AWSCredentials.fromEnvironment(environment)
        self.environment = environment
    }

    /// The vision models of the catalog, in catalog order.
    public var visionModels: [CatalogModel] { catalog.models.filter { $0.kind == .vision } }
}
