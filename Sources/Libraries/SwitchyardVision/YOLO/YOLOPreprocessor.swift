/// Image → YOLOv8 input tensor, as Ultralytics prepares it: letterbox (keep aspect ratio,
/// bilinear resize, pad with gray 114), RGB, CHW planes, float32 scaled to 0...1.
///
/// Resizing and normalising are fused: each resized row is written straight into the three
/// planes through a 256-entry table, so no intermediate letterboxed image or HWC float copy
/// exists.
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

    public func geometry(for image: RGBImage) -> LetterboxGeometry {
        LetterboxGeometry(
            sourceWidth: image.width, sourceHeight: image.height, targetWidth: inputWidth, targetHeight: inputHeight)
    }

    /// One image as a `[1, 3, H, W]` tensor, with the geometry needed to map boxes back.
    public func tensor(for image: RGBImage) -> (tensor: Tensor, geometry: LetterboxGeometry) {
        let batch = self.batch([image])
        return (batch.tensor, batch.geometries[0])
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
    public func write(_ image: RGBImage, into output: UnsafeMutableBufferPointer<Float>) -> LetterboxGeometry {
        let g = geometry(for: image)
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
            Self.forEachResizedRow(of: image, geometry: g, emitRow)
        }
        return g
    }

    /// The letterboxed image itself as 8-bit RGB (for inspection and reference tests).
    public func letterboxedImage(_ image: RGBImage) -> (image: RGBImage, geometry: LetterboxGeometry) {
        let g = geometry(for: image)
        var pixels = [UInt8](repeating: padValue, count: inputWidth * inputHeight * 3)
        pixels.withUnsafeMutableBufferPointer { out in
            let place = { (row: Int, rgb: UnsafeBufferPointer<UInt8>) in
                let offset = ((g.top + row) * inputWidth + g.left) * 3
                for i in 0..<(g.resizedWidth * 3) { out[offset + i] = rgb[i] }
            }
            Self.forEachResizedRow(of: image, geometry: g, place)
        }
        return (RGBImage(width: inputWidth, height: inputHeight, pixels: pixels), g)
    }

    /// Hands each row of the resized (not yet padded) image to `body`, top to bottom.
    private static func forEachResizedRow(
        of image: RGBImage, geometry g: LetterboxGeometry, _ body: (Int, UnsafeBufferPointer<UInt8>) -> Void
    ) {
        image.pixels.withUnsafeBufferPointer { source in
            if g.resizedWidth == image.width && g.resizedHeight == image.height {
                // Ultralytics skips cv2.resize when the size already fits.
                let stride = image.width * 3
                for row in 0..<image.height {
                    body(row, UnsafeBufferPointer(rebasing: source[(row * stride)..<((row + 1) * stride)]))
                }
            } else {
                BilinearResizer(
                    sourceWidth: image.width, sourceHeight: image.height, width: g.resizedWidth, height: g.resizedHeight
                )
                .resize(source, emit: body)
            }
        }
    }
}
