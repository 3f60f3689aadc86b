/// The vision function's event: images (the request's, or one batch item's), the decision's
/// vision plan and usage context.
public struct VisionStepInput: Codable, Sendable, Equatable {
    public var request: InferenceRequest?
    public var item: BatchItem?
    public var plan: VisionPlan
    public var context: UsageContext

    public init(request: InferenceRequest? = nil, item: BatchItem? = nil, plan: VisionPlan, context: UsageContext) {
        self.request = request
        self.item = item
        self.plan = plan
        self.context = context
    }

    /// The images to run: the item's, else every image of the request.
    public var images: [ImageReference] { item?.images ?? request?.allImages ?? [] }
}

/// What the vision function returns, on success and failure alike.
public struct VisionOutcome: Codable, Sendable, Equatable {
    public var requestID: String
    public var itemID: String?
    public var status: StepStatus
    /// Catalog id of the detector that answered.
    public var model: ModelID?
    public var provider: ProviderID?
    /// One result per input image, in order.
    public var results: [ImageDetections]
    public var usage: [UsageRecord]
    public var error: StepError?
    public var timings: VisionTimings?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case itemID = "itemId"
        case status, model, provider, results, usage, error, timings
    }

    public init(
        requestID: String, itemID: String? = nil, status: StepStatus, model: ModelID?, provider: ProviderID?,
        results: [ImageDetections], usage: [UsageRecord], error: StepError?, timings: VisionTimings?
    ) {
        self.requestID = requestID
        self.itemID = itemID
        self.status = status
        self.model = model
        self.provider = provider
        self.results = results
        self.usage = usage
        self.error = error
        self.timings = timings
    }
}

/// Detections for one image, with what was decoded.
public struct ImageDetections: Codable, Sendable, Equatable {
    public var width: Int
    public var height: Int
    /// `JPEG`, `PNG`…
    public var format: String
    /// EXIF orientation that was applied (1 = none).
    public var orientation: Int
    public var detections: [Detection]
    /// Catalog id of the detector that answered for this image (a fallback can take over midway
    /// through a request's images).
    public var model: ModelID?

    public init(
        width: Int, height: Int, format: String, orientation: Int, detections: [Detection], model: ModelID? = nil
    ) {
        self.width = width
        self.height = height
        self.format = format
        self.orientation = orientation
        self.detections = detections
        self.model = model
    }
}

/// Milliseconds per stage, summed over the images.
public struct VisionTimings: Codable, Sendable, Equatable {
    public var fetchMs: Double
    public var decodeMs: Double
    public var inferenceMs: Double
    public var totalMs: Double

    public init(fetchMs: Double, decodeMs: Double, inferenceMs: Double, totalMs: Double) {
        self.fetchMs = fetchMs
        self.decodeMs = decodeMs
        self.inferenceMs = inferenceMs
        self.totalMs = totalMs
    }
}
