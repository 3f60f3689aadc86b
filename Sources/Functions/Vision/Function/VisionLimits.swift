import SwitchyardContract
import SwitchyardCore
import SwitchyardVision

/// The caps that keep one invocation within the function's memory, derived from
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`.
///
/// Images are processed one at a time (fetch → decode → infer → drop), so the peak is the
/// resident base (runtime, libraries, in-process models) plus one image's working set: its
/// encoded bytes (up to twice while the body grows), the decoded RGB (3 bytes per pixel; an EXIF
/// orientation is read through, never turned into a second copy) and the model input and output
/// (about 10 MB at 640x640). So:
///
/// - `reserveMB` = 64 MB for the process and its libraries, plus, with in-process detectors,
///   48 MB for onnxruntime and 6x the model files (weights, their optimised copies and the
///   activation arena; measured for YOLOv8n and YOLOv8s, see docs/vision.md);
/// - `maxImageBytes` = an eighth of what is left, at most 20 MB;
/// - `maxPixels` = what is left after 16 MB of tensors and twice the encoded cap, at 3 bytes a
///   pixel, at most 100 megapixels;
/// - `maxImages` = memory / 64 MB, 4...64 (time, not memory, bounds a request: vCPU share
///   grows with memory, and results must fit a 256 KiB Step Functions state).
public struct VisionLimits: Sendable, Equatable {
    public var memoryMB: Int
    public var reserveMB: Int
    public var maxImages: Int
    public var maxImageBytes: Int
    public var decode: DecodeLimits

    public init(memoryMB: Int, inProcessModelBytes: Int) {
        self.memoryMB = memoryMB
        let modelMB = (inProcessModelBytes + (1 << 20) - 1) >> 20
        reserveMB = 64 + (inProcessModelBytes > 0 ? 48 + 6 * modelMB : 0)
        let available = max(memoryMB - reserveMB, 16) << 20
        maxImageBytes = min(20 << 20, available / 8)
        let pixelBudget = available - (16 << 20) - 2 * maxImageBytes
        decode = DecodeLimits(maxPixels: max(1 << 20, min(100_000_000, pixelBudget / 3)))
        maxImages = min(64, max(4, memoryMB / 64))
    }

    /// The derived caps, each lowered or raised by its variable when set: `VISION_MAX_IMAGES`,
    /// `VISION_MAX_IMAGE_BYTES`, `VISION_MAX_PIXELS`.
    public static func fromEnvironment(_ environment: Environment, inProcessModelBytes: Int)
        throws(ConfigurationError) -> VisionLimits
    {
        let memory = try environment.int("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", default: 1024, range: 128...10240)
        var limits = VisionLimits(memoryMB: memory, inProcessModelBytes: inProcessModelBytes)
        limits.maxImages = try environment.int("VISION_MAX_IMAGES", default: limits.maxImages, range: 1...256)
        limits.maxImageBytes = try environment.int(
            "VISION_MAX_IMAGE_BYTES", default: limits.maxImageBytes, range: 1...(512 << 20))
        limits.decode.maxPixels = try environment.int(
            "VISION_MAX_PIXELS", default: limits.decode.maxPixels, range: 1...400_000_000)
        return limits
    }

    /// onnxruntime threads for in-process inference: the function's vCPU share
    /// (`ComputeSpec.lambdaVCPUs`, the rule the router's detector priors use), at most the CPUs
    /// this process sees.
    public static func inferenceThreads(memoryMB: Int, onlineCPUs: Int) -> Int {
        min(ComputeSpec.lambdaVCPUs(memoryMB: memoryMB), max(onlineCPUs, 1))
    }
}
