import CTurboJPEG
import SwitchyardCore

/// JPEG → RGB with libjpeg-turbo (accurate DCT, fancy upsampling: the same samples OpenCV's
/// imdecode produces). Warnings such as "premature end of data" are errors here: a truncated
/// upload must not silently turn into a half-gray detection input.
enum JPEGDecoder {
    /// Width and height from the frame header, without decoding any pixel.
    static func dimensions(_ bytes: UnsafeRawBufferPointer) throws(VisionError) -> (width: Int, height: Int) {
        guard let handle = tjInitDecompress() else {
            throw .corruptImage(format: "JPEG", detail: "decoder unavailable")
        }
        defer { tjDestroy(handle) }
        return try header(handle, bytes)
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits) throws(VisionError) -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw .corruptImage(format: "JPEG", detail: "decoder unavailable")
        }
        defer { tjDestroy(handle) }
        let (width, height) = try header(handle, bytes)
        try limits.check(width: width, height: height)
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, initialized in
            status = tjDecompress2(
                handle, base, UInt(bytes.count), buffer.baseAddress, Int32(width), Int32(width * 3), Int32(height),
                Int32(TJPF_RGB.rawValue), TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS)
            // On failure the buffer may be partly written; it is discarded below either way.
            initialized = width * height * 3
        }
        guard status == 0 else { throw failure(handle) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func header(_ handle: tjhandle, _ bytes: UnsafeRawBufferPointer) throws(VisionError) -> (
        width: Int, height: Int
    ) {
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        guard tjDecompressHeader3(handle, base, UInt(bytes.count), &width, &height, &subsampling, &colorspace) == 0
        else {
            let error = failure(handle)
            // libjpeg says "Empty JPEG image (DNL not supported)" for a zero height.
            if case .corruptImage(_, let detail) = error, detail.contains(text: "Empty JPEG") {
                throw .emptyImage(detail)
            }
            throw error
        }
        if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
            throw .unsupportedFormat("CMYK JPEG")
        }
        // A zero side in the frame header fails above ("Empty JPEG image"); zero here means no frame header at all.
        guard width > 0, height > 0 else { throw .corruptImage(format: "JPEG", detail: "no frame header (truncated?)") }
        return (Int(width), Int(height))
    }

    private static func failure(_ handle: tjhandle) -> VisionError {
        let message = tjGetErrorStr2(handle).map { String(cString: $0) } ?? "unknown error"
        return .corruptImage(format: "JPEG", detail: message)
    }
}
