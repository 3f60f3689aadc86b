import SwitchyardContract

/// An image ready for a detector: decoded pixels as stored, the EXIF orientation that turns them
/// upright (backends read through it; boxes are in upright pixels), and the encoded bytes for
/// backends that send those instead of a tensor.
public struct PreparedImage: Sendable {
    public var image: RGBImage
    /// EXIF orientation of `image` (1 = already upright).
    public var orientation: Int
    public var format: ImageFormat
    /// The bytes the image came from; kept only for backends whose `wantsEncodedImage` is true.
    public var encoded: [UInt8]?

    public init(image: RGBImage, orientation: Int, format: ImageFormat, encoded: [UInt8]? = nil) {
        self.image = image
        self.orientation = orientation
        self.format = format
        self.encoded = encoded
    }

    /// Width and height of the upright picture (what boxes refer to).
    public var uprightSize: (width: Int, height: Int) {
        EXIFOrientation.uprightSize(orientation, width: image.width, height: image.height)
    }
}

/// Where the network runs: in this process, on a SageMaker endpoint, or in a container. Each
/// backend takes one image and returns detections in its upright pixel coordinates; whether
/// pre/post-processing happens here or in the endpoint is the backend's business.
public protocol DetectionBackend: Sendable {
    /// The provider it runs as (`lambda`, `sagemaker`, `container`), for logs and usage.
    var name: String { get }
    /// Whether `PreparedImage.encoded` must be kept (a backend that sends the original file).
    var wantsEncodedImage: Bool { get }

    /// - Throws: `Vision.BackendUnavailable`, `Vision.BackendRejected`, `Vision.BadModelOutput`,
    ///   `Vision.InferenceFailed`: failures of the detector, after which the plan's next one is tried.
    func detect(_ image: PreparedImage, options: DetectionOptions, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> [Detection]
}

extension DetectionBackend {
    public var wantsEncodedImage: Bool { false }
}
