/// The vision function's event. One of `image` or `images`; each is an `s3://` reference, an
/// `https://` URL, a `data:` URI or bare base64 (keep inline images small: a Step Functions
/// state carries at most 256 KiB).
public struct VisionRequest: Codable, Sendable, Equatable {
    public var image: String?
    public var images: [String]?
    /// Per-request thresholds and limits (defaults: 0.25, 0.7, 100).
    public var confidenceThreshold: Double?
    public var iouThreshold: Double?
    public var maxDetections: Int?
    /// Class names from the routing policy; override the model's own for the ids they name.
    public var classNames: [String]?
    /// Correlation id from the caller (router), echoed back.
    public var requestID: String?

    public init(
        image: String? = nil, images: [String]? = nil, confidenceThreshold: Double? = nil, iouThreshold: Double? = nil,
        maxDetections: Int? = nil, classNames: [String]? = nil, requestID: String? = nil
    ) {
        self.image = image
        self.images = images
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
        self.classNames = classNames
        self.requestID = requestID
    }

    enum CodingKeys: String, CodingKey {
        case image, images, confidenceThreshold, iouThreshold, maxDetections, classNames
        case requestID = "requestId"
    }
}
