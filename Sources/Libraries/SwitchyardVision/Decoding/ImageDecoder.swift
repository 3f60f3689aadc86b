import SwitchyardContract

/// A decoded image and what it was.
public struct DecodedImage: Sendable {
    /// The pixels: upright when `orientationApplied`, else as stored (turn them with `orientation`).
    public var image: RGBImage
    public var format: ImageFormat
    /// The EXIF orientation of the file (1 = none).
    public var orientation: Int
    /// Whether `image` already shows the upright picture.
    public var orientationApplied: Bool

    public init(image: RGBImage, format: ImageFormat, orientation: Int, orientationApplied: Bool) {
        self.image = image
        self.format = format
        self.orientation = orientation
        self.orientationApplied = orientationApplied
    }

    /// Width and height of the upright picture.
    public var uprightSize: (width: Int, height: Int) {
        orientationApplied
            ? (image.width, image.height)
            : EXIFOrientation.uprightSize(orientation, width: image.width, height: image.height)
    }

    /// The upright picture (a second full image when the orientation is not yet applied).
    public func upright() -> RGBImage { orientationApplied ? image : EXIFOrientation.apply(orientation, to: image) }
}

/// Turns encoded bytes into RGB pixels, with typed errors for everything that is not a
/// decodable JPEG or PNG.
public enum ImageDecoder {
    /// - Parameter applyOrientation: turn a JPEG upright by its EXIF orientation (a second full
    ///   image); pass false to get the stored pixels and apply the orientation while reading them.
    /// - Throws: `Vision.EmptyImage`, `Vision.NotAnImage`, `Vision.UnsupportedFormat`,
    ///   `Vision.ImageTooLarge` (before decoding), `Vision.CorruptImage`.
    public static func decode(
        _ bytes: [UInt8], limits: DecodeLimits = DecodeLimits(), applyOrientation: Bool = true
    ) throws(VisionError) -> DecodedImage {
        try bytes.withUnsafeBytes { raw in
            Result { () throws(VisionError) in try decode(raw, limits: limits, applyOrientation: applyOrientation) }
        }.get()
    }

    public static func decode(
        _ raw: UnsafeRawBufferPointer, limits: DecodeLimits = DecodeLimits(), applyOrientation: Bool = true
    ) throws(VisionError) -> DecodedImage {
        guard raw.count > 0 else { throw .emptyImage("0 bytes") }
        switch ImageFormat.sniff(raw) {
        case .jpeg:
            let image = try JPEGDecoder.decode(raw, limits: limits)
            let orientation = EXIFOrientation.read(jpeg: raw)
            guard applyOrientation else {
                return DecodedImage(image: image, format: .jpeg, orientation: orientation, orientationApplied: false)
            }
            return DecodedImage(
                image: EXIFOrientation.apply(orientation, to: image), format: .jpeg, orientation: orientation,
                orientationApplied: true)
        case .png:
            return DecodedImage(
                image: try PNGDecoder.decode(raw, limits: limits), format: .png, orientation: 1,
                orientationApplied: true)
        case .some(let other):
            throw .unsupportedFormat(other.rawValue)
        case nil:
            throw .notAnImage(firstBytes: hexPrefix(raw))
        }
    }

    /// Width and height as the header declares them (before orientation), without decoding.
    public static func dimensions(_ bytes: [UInt8]) throws(VisionError) -> (width: Int, height: Int) {
        try bytes.withUnsafeBytes { raw in Result { () throws(VisionError) in try dimensions(raw) } }.get()
    }

    static func dimensions(_ raw: UnsafeRawBufferPointer) throws(VisionError) -> (width: Int, height: Int) {
        guard raw.count > 0 else { throw .emptyImage("0 bytes") }
        switch ImageFormat.sniff(raw) {
        case .jpeg: return try JPEGDecoder.dimensions(raw)
        case .png: return try PNGDecoder.dimensions(raw)
        case .some(let other): throw .unsupportedFormat(other.rawValue)
        case nil: throw .notAnImage(firstBytes: hexPrefix(raw))
        }
    }

    static func hexPrefix(_ raw: UnsafeRawBufferPointer) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in raw.prefix(8) {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return "0x" + String(decoding: out, as: UTF8.self)
    }
}
