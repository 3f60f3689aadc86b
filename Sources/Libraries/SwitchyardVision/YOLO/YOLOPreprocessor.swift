/// Image → YOLOv8 input tensor, as Ultralytics prepares it: letterbox (keep aspect ratio,
/// bilinear resize, pad with gray 114), RGB, CHW planes, float32 scaled to 0...1.
///
/// Resizing and normalising are fused: each resized row is written straight into the three
/// planes through a 256-entry table, so no intermediate letterboxed image or HWC float copy
/// exists. An image stored with an EXIF orientation is read through it row by row (only the
/// rows the resize needs), so it is never turned as a whole.
public struct YOLOPreprocessor: Sendable {
    /// Model input width and height in pixels (640 for the stock YOLOv8 export).
    public var inputWidth: Int
    public var inputHeight: Int
    /// Padding gray level. Ultralytics uses 114.
    public var padValue: UInt8

    public init(inputWidth: Int = 640, inputHeight: Int = 640, padValue: UInt8 = 114) {
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.padValue = padValue
    }

    /// `value / 255` exactly as float32 division computes it (what `tensor / 255` does in NumPy/PyTorch).
    private static let unitScale: [Float] = (0..<256).map { Float($0) / Float(255) }

    /// Where the upright picture of `image` (stored with EXIF `orientation`) lands in the input.
    public func geometry(for image: RGBImage, orientation: Int = 1) -> LetterboxGeometry {
        let upright = EXIFOrientation.uprightSize(orientation, width: image.width, height: image.height)
        return LetterboxGeometry(
            sourceWidth: upright.width, sourceHeight: upright.height, targetWidth: inputWidth,
            targetHeight: inputHeight)
    }

    /// One image as a `[1, 3, H, W]` tensor, with the geometry needed to map boxes back.
    public func tensor(for image: RGBImage, orientation: Int = 1) -> (tensor: Tensor, geometry: LetterboxGeometry) {
        let plane = inputWidth * inputHeight
        var geometry: LetterboxGeometry?
        let values = [Float](unsafeUninitializedCapacity: 3 * plane) { buffer, initialized in
            geometry = write(image, orientation: orientation, into: buffer)
            initialized = 3 * plane
        }
        return (Tensor(shape: [1, 3, inputHeight, inputWidth], values: values), geometry!)
    }

    /// Several images as one `[N, 3, H, W]` tensor for a batched model call.
    public func batch(_ images: [RGBImage]) -> (tensor: Tensor, geometries: [LetterboxGeometry]) {
        let plane = inputWidth * inputHeight
        var geometries: [LetterboxGeometry] = []
        let values = [Float](unsafeUninitializedCapacity: images.count * 3 * plane) { buffer, initialized in
            for (index, image) in images.enumerated() {
                let slice = UnsafeMutableBufferPointer(
                    rebasing: buffer[(index * 3 * plane)..<((index + 1) * 3 * plane)])
                geometries.append(write(image, into: slice))
            }
            initialized = images.count * 3 * plane
        }
        return (Tensor(shape: [images.count, 3, inputHeight, inputWidth], values: values), geometries)
    }

    /// Writes one letterboxed CHW image into `output` (`3 * H * W` floats).
    @discardableResult
    public func write(_ image: RGBImage, orientation: Int = 1, into output: UnsafeMutableBufferPointer<Float>)
        -> LetterboxGeometry
    {
        let g = geometry(for: image, orientation: orientation)
        let plane = inputWidth * inputHeight
        precondition(output.count == 3 * plane)
        Self.unitScale.withUnsafeBufferPointer { lut in
            let pad = lut[Int(padValue)]
            let base = output.baseAddress!
            // Only the border is padding; the resized rows below overwrite the rest.
            for channel in 0..<3 {
                let planeBase = base + channel * plane
                planeBase.initialize(repeating: pad, count: g.top * inputWidth)
                let below = (g.top + g.resizedHeight) * inputWidth
                (planeBase + below).initialize(repeating: pad, count: plane - below)
                for row in g.top..<(g.top + g.resizedHeight) {
                    (planeBase + row * inputWidth).initialize(repeating: pad, count: g.left)
                    (planeBase + row * inputWidth + g.left + g.resizedWidth).initialize(repeating: pad, count: g.right)
                }
            }
            let emitRow = { (row: Int, rgb: UnsafeBufferPointer<UInt8>) in
                let offset = (g.top + row) * inputWidth + g.left
                let r = base + offset, gr = base + plane + offset, b = base + 2 * plane + offset
                for x in 0..<g.resizedWidth {
                    r[x] = lut[Int(rgb[3 * x])]
                    gr[x] = lut[Int(rgb[3 * x + 1])]
                    b[x] = lut[Int(rgb[3 * x + 2])]
                }
            }
            Self.forEachResizedRow(of: image, orientation: orientation, geometry: g, emitRow)
        }
        return g
    }

    /// The letterboxed image itself as 8-bit RGB, `H x W x 3`: what an endpoint is sent (a
    /// quarter of the float tensor's bytes; the endpoint divides by 255) and what reference tests
    /// compare.
    public func letterboxedImage(_ image: RGBImage, orientation: Int = 1) -> (
        image: RGBImage, geometry: LetterboxGeometry
    ) {
        let g = geometry(for: image, orientation: orientation)
        var pixels = [UInt8](repeating: padValue, count: inputWidth * inputHeight * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            let place = { (row: Int, rgb: UnsafeBufferPointer<UInt8>) in
                let offset = ((g.top + row) * inputWidth + g.left) * 3
                for i in 0..<(g.resizedWidth * 3) { out[offset + i] = rgb[i] }
            }
            Self.forEachResizedRow(of: image, orientation: orientation, geometry: g, place)
        }
        return (RGBImage(width: inputWidth, height: inputHeight, pixels: pixels), g)
    }

    /// Hands each row of the resized (not yet padded) upright image to `body`, top to bottom.
    private static func forEachResizedRow(
        of image: RGBImage, orientation: Int, geometry g: LetterboxGeometry,
        _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        let upright = EXIFOrientation.uprightSize(orientation, width: image.width, height: image.height)
        let turned = (2...8).contains(orientation)
        // One upright row, gathered through the orientation (unused for upright images).
        var scratch = [UInt8](repeating: 0, count: turned ? upright.width * 3 : 0)
        image.pixels.withUnsafeBufferPointer { source in
            scratch.withUnsafeMutableBufferPointer { scratch in
                let stride = image.width * 3
                let gathered = scratch.baseAddress
                let row = { (r: Int) -> UnsafePointer<UInt8> in
                    guard turned, let gathered else { return source.baseAddress! + r * stride }
                    EXIFOrientation.gatherRow(
                        orientation, of: source, width: image.width, height: image.height, row: r, into: gathered)
                    return UnsafePointer(gathered)
                }
                if g.resizedWidth == upright.width && g.resizedHeight == upright.height {
                    // Ultralytics skips cv2.resize when the size already fits.
                    for r in 0..<upright.height {
                        body(r, UnsafeBufferPointer(start: row(r), count: upright.width * 3))
                    }
                } else {
                    BilinearResizer(
                        sourceWidth: upright.width, sourceHeight: upright.height, width: g.resizedWidth,
                        height: g.resizedHeight
                    )
                    .resize(rows: row, emit: body)
                }
            }
        }
    }
}
