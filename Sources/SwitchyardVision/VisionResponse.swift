/// What the vision function returns: one result per input image, in order.
public struct VisionResponse: Codable, Sendable, Equatable {
    public struct ImageInfo: Codable, Sendable, Equatable {
        public var width: Int
        public var height: Int
        public var format: String
        public var orientation: Int
    }

    public struct ImageResult: Codable, Sendable, Equatable {
        public var image: ImageInfo
        public var detections: [Detection]
    }

    /// Milliseconds spent per stage, summed over the images.
    public struct Timings: Codable, Sendable, Equatable {
        public var fetchMs: Double
        public var decodeMs: Double
        public var inferenceMs: Double
        public var totalMs: Double
    }

    /// Figures for usage logging and billing.
    public struct Usage: Codable, Sendable, Equatable {
        public var images: Int
        public var pixels: Int
        public var inputBytes: Int
    }

    public var requestID: String?
    public var backend: String
    public var results: [ImageResult]
    public var timings: Timings
    public var usage: Usage

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case backend, results, timings, usage
    }
}
