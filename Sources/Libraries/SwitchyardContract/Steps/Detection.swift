/// A box in source-image pixels: corners, x to the right and y down, clipped to the image.
public struct BoundingBox: Sendable, Equatable, Codable {
    public var x1: Double
    public var y1: Double
    public var x2: Double
    public var y2: Double

    public init(x1: Double, y1: Double, x2: Double, y2: Double) {
        self.x1 = x1
        self.y1 = y1
        self.x2 = x2
        self.y2 = y2
    }
}

/// One detected object.
public struct Detection: Sendable, Equatable, Codable {
    public var box: BoundingBox
    public var confidence: Double
    public var classID: Int
    /// From the model's metadata or the policy; nil when neither names this class.
    public var className: String?

    public init(box: BoundingBox, confidence: Double, classID: Int, className: String?) {
        self.box = box
        self.confidence = confidence
        self.classID = classID
        self.className = className
    }

    enum CodingKeys: String, CodingKey {
        case box, confidence
        case classID = "classId"
        case className
    }
}
