/// Where an image lands inside the model input: the arithmetic of Ultralytics' `LetterBox`
/// (auto=False, scaleup=True, centered), including Python's round-half-to-even, so the padding
/// matches the reference to the pixel.
public struct LetterboxGeometry: Sendable, Equatable {
    public var sourceWidth: Int
    public var sourceHeight: Int
    public var targetWidth: Int
    public var targetHeight: Int
    /// Resize factor, `min(targetH / sourceH, targetW / sourceW)`.
    public var scale: Double
    public var resizedWidth: Int
    public var resizedHeight: Int
    public var left: Int
    public var top: Int
    public var right: Int
    public var bottom: Int

    public init(sourceWidth: Int, sourceHeight: Int, targetWidth: Int, targetHeight: Int) {
        precondition(sourceWidth > 0 && sourceHeight > 0 && targetWidth > 0 && targetHeight > 0)
        self.sourceWidth = sourceWidth
        self.sourceHeight = sourceHeight
        self.targetWidth = targetWidth
        self.targetHeight = targetHeight
        scale = min(Double(targetHeight) / Double(sourceHeight), Double(targetWidth) / Double(sourceWidth))
        // max(1, ...): a 1x10000 strip would otherwise round to zero columns.
        resizedWidth = max(1, Int((Double(sourceWidth) * scale).rounded(.toNearestOrEven)))
        resizedHeight = max(1, Int((Double(sourceHeight) * scale).rounded(.toNearestOrEven)))
        let dw = Double(targetWidth - resizedWidth) / 2
        let dh = Double(targetHeight - resizedHeight) / 2
        top = Int((dh - 0.1).rounded(.toNearestOrEven))
        bottom = Int((dh + 0.1).rounded(.toNearestOrEven))
        left = Int((dw - 0.1).rounded(.toNearestOrEven))
        right = Int((dw + 0.1).rounded(.toNearestOrEven))
    }

    /// A point in model-input pixels mapped back to source-image pixels (not clipped).
    public func sourcePoint(x: Double, y: Double) -> (x: Double, y: Double) {
        ((x - Double(left)) / scale, (y - Double(top)) / scale)
    }
}
