import SwitchyardContract

/// An image ready for a backend: decoded and upright, with the bytes it came from (some
/// backends send those instead of a tensor).
public struct PreparedImage: Sendable {
    public var image: RGBImage
    public var encoded: [UInt8]
    public var format: ImageFormat
    /// EXIF orientation already applied to `image` (1 = none).
    public var orientation: Int

    public init(image: RGBImage, encoded: [UInt8], format: ImageFormat, orientation: Int) {
        self.image = image
        self.encoded = encoded
        self.format = format
        self.orientation = orientation
    }
}

/// Where the network runs. Each backend takes upright images and returns detections in their
/// pixel coordinates; whether pre/post-processing happens here or in the endpoint is the
/// backend's business.
public protocol DetectionBackend: Sendable {
    /// Short stable name for logs, responses and usage records (`sagemaker`, `hosting-sample`, `local`).
    var name: String { get }

    /// - Throws: `Vision.BackendUnavailable` (retryable), `Vision.BackendRejected`, `Vision.BadModelOutput`.
    func detect(
        _ images: [PreparedImage], options: DetectionOptions, deadline: ContinuousClock.Instant
    ) async throws(VisionError) -> [[Detection]]
}
