/// Caps applied to an encoded image before and while decoding.
public struct DecodeLimits: Sendable, Equatable {
    /// Largest accepted `width * height`, checked from the header before any pixel is
    /// decompressed (a 100-byte PNG can declare 60000x60000). Default 40 MP (120 MB of RGB).
    public var maxPixels: Int
    /// Largest accepted side, whatever the pixel count. Default 20000.
    public var maxSide: Int

    public init(maxPixels: Int = 40_000_000, maxSide: Int = 20_000) {
        self.maxPixels = maxPixels
        self.maxSide = maxSide
    }

    func check(width: Int, height: Int) throws(VisionError) {
        guard width > 0, height > 0 else { throw .emptyImage("\(width)x\(height)") }
        if width > maxSide || height > maxSide || width * height > maxPixels {
            throw .imageTooLarge(width: width, height: height, limit: maxPixels)
        }
    }
}
