/// Thresholds and limits for turning raw YOLOv8 output into detections; per request.
public struct DetectionOptions: Sendable, Equatable {
    /// Minimum class confidence (strictly greater passes). Ultralytics default 0.25.
    public var confidenceThreshold: Float
    /// IoU above which a lower-scored box of the same class is suppressed. Ultralytics default 0.7 (0.45 in older releases).
    public var iouThreshold: Float
    /// Most detections returned per image (Ultralytics `max_det`, default 300).
    public var maxDetections: Int
    /// Most candidates entering NMS (Ultralytics `max_nms`, 30000).
    public var maxCandidates: Int

    public init(
        confidenceThreshold: Float = 0.25, iouThreshold: Float = 0.7, maxDetections: Int = 300,
        maxCandidates: Int = 30_000
    ) {
        self.confidenceThreshold = confidenceThreshold
        self.iouThreshold = iouThreshold
        self.maxDetections = maxDetections
        self.maxCandidates = maxCandidates
    }
}
