import SwitchyardContract

/// A decoded, upright image and what it was.
public struct DecodedImage: Sendable {
    public var image: RGBImage
    public var format: ImageFormat
    /// The EXIF orientation that was applied (1 = none).
    public var orientation: Int
}

/// Turns encoded bytes into an upright RGB image, with typed errors for everything that is not
/// a decodable JPEG or PNG.
public enum ImageDecoder {
    /// - Throws: `Vision.EmptyImage`, `Vision.NotAnImage`, `Vision.UnsupportedFormat`,
    ///   `Vision.ImageTooLarge` (before decoding), `Vision.CorruptImage`.
    public static func decode(_ bytes: [UInt8], limits: DecodeLimits = DecodeLimits()) throws(VisionError)
        -> DecodedImage
    {
        try bytes.withUnsafeBytes { raw in Result { () throws(VisionError) in try decode(raw, limits: limits) } }.get()
    }

    public static func decode(_ raw: UnsafeRawBufferPointer, limits: DecodeLimits = DecodeLimits()) throws(VisionError)
        -> DecodedImage
    {
        guard raw.count > 0 else { throw .emptyImage("0 bytes") }
        switch ImageFormat.sniff(raw) {
        case .jpeg:
            let image = try JPEGDecoder.decode(raw, limits: limits)
            let orientation = EXIFOrientation.read(jpeg: raw)
            return DecodedImage(
                image: EXIFOrientation.apply(orientation, to: image), format: .jpeg, orientation: orientation)
        case .png:
            return DecodedImage(image: try PNGDecoder.decode(raw, limits: limits), format: .png, orientation: 1)
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
