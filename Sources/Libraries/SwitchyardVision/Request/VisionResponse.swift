import SwitchyardContract

/// What the vision function returns: one result per input image, in order.
public struct VisionResponse: Codable, Sendable, Equatable {
    public struct ImageInfo: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var format: String
        public var orientation: Int

        public init(width: Int, height: Int, format: String, orientation: Int) {
            self.width = width
            self.height = height
            self.format = format
            self.orientation = orientation
        }
    }

    public struct ImageResult: Codable, Sendable, Equatable {
        public var image: ImageInfo
        public var detections: [Detection]

        public init(image: ImageInfo, detections: [Detection]) {
            self.image = image
            self.detections = detections
        }
    }

    /// Milliseconds spent per stage, summed over the images.
    public struct Timings: Codable, Sendable, Equatable {
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

    /// Figures for usage logging and billing.
    public struct Usage: Codable, Sendable, Equatable {
        public var images: Int
        public var pixels: Int
        public var inputBytes: Int

        public init(images: Int, pixels: Int, inputBytes: Int) {
            self.images = images
            self.pixels = pixels
            self.inputBytes = inputBytes
        }
    }

    public var requestID: String?
    public var backend: String
    public var results: [ImageResult]
    public var timings: Timings
    public var usage: Usage

    public init(requestID: String?, backend: String, results: [ImageResult], timings: Timings, usage: Usage) {
        self.requestID = requestID
        self.backend = backend
        self.results = results
        self.timings = timings
        self.usage = usage
    }

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case backend, results, timings, usage
    }
}
