import CPNG
import CTurboJPEG
import SwitchyardCore

/// RGB → JPEG or PNG, for backends that take an encoded image (the AWS YOLOv8 hosting sample)
/// and for tests that need real files.
public enum ImageEncoder {
    /// Baseline JPEG, 4:2:0, at `quality` (1...100).
    public static func jpeg(_ image: RGBImage, quality: Int = 95) throws(VisionError) -> [UInt8] {
        guard let handle = tjInitCompress() else { throw .corruptImage(format: "JPEG", detail: "encoder unavailable") }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            tjCompress2(
                handle, pixels.baseAddress, Int32(image.width), Int32(image.width * 3), Int32(image.height),
                Int32(TJPF_RGB.rawValue), &buffer, &size, Int32(TJSAMP_420.rawValue), Int32(quality), TJFLAG_ACCURATEDCT
            )
        }
        defer { if let buffer { tjFree(buffer) } }
        guard status == 0, let buffer else {
            throw .corruptImage(
                format: "JPEG", detail: tjGetErrorStr2(handle).map { String(cString: $0) } ?? "encode failed")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: Int(size)))
    }

    /// Lossless 8-bit RGB PNG.
    public static func png(_ image: RGBImage) throws(VisionError) -> [UInt8] {
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        let status = image.pixels.withUnsafeBufferPointer { pixels in
            sy_png_encode_rgb(pixels.baseAddress, UInt32(image.width), UInt32(image.height), &buffer, &size)
        }
        defer { free(buffer) }
        guard status == Int32(SY_PNG_OK), let buffer else {
            throw .corruptImage(format: "PNG", detail: "encode failed")
        }
        return Array(UnsafeBufferPointer(start: buffer, count: size))
    }
}
