import CPNG

/// PNG → RGB through libpng (see `CPNG.h` for the OpenCV-compatible conversions).
enum PNGDecoder {
    static func dimensions(_ bytes: UnsafeRawBufferPointer) throws(VisionError) -> (width: Int, height: Int) {
        // libpng rejects a zero side as a generic error; look at IHDR first to say what it is.
        if let (declaredWidth, declaredHeight) = declaredSize(bytes), declaredWidth == 0 || declaredHeight == 0 {
            throw .emptyImage("PNG header declares \(declaredWidth)x\(declaredHeight)")
        }
        var width: UInt32 = 0, height: UInt32 = 0
        var message = [CChar](repeating: 0, count: 256)
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        let status = sy_png_read_header(base, bytes.count, &width, &height, &message, message.count)
        guard status == Int32(SY_PNG_OK) else { throw failure(status, message) }
        guard width > 0, height > 0 else { throw .emptyImage("PNG header declares \(width)x\(height)") }
        return (Int(width), Int(height))
    }

    /// Width and height straight from the IHDR chunk (always first), without libpng: the pixel
    /// cap applies even when the rest of the file is garbage.
    static func declaredSize(_ bytes: UnsafeRawBufferPointer) -> (width: Int, height: Int)? {
        guard bytes.count >= 24, bytes[12] == 0x49, bytes[13] == 0x48, bytes[14] == 0x44, bytes[15] == 0x52 else {
            return nil
        }
        return (bytes[16..<20].reduce(0) { $0 << 8 | Int($1) }, bytes[20..<24].reduce(0) { $0 << 8 | Int($1) })
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, limits: DecodeLimits) throws(VisionError) -> RGBImage {
        if let (declaredWidth, declaredHeight) = declaredSize(bytes), declaredWidth > 0, declaredHeight > 0 {
            try limits.check(width: declaredWidth, height: declaredHeight)
        }
        let (width, height) = try dimensions(bytes)
        try limits.check(width: width, height: height)
        var message = [CChar](repeating: 0, count: 256)
        let base = bytes.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var status: Int32 = 0
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * 3) { buffer, initialized in
            status = sy_png_decode_rgb(
                base, bytes.count, buffer.baseAddress, UInt32(width), UInt32(height), &message, message.count)
            initialized = width * height * 3
        }
        guard status == Int32(SY_PNG_OK) else { throw failure(status, message) }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    private static func failure(_ status: Int32, _ message: [CChar]) -> VisionError {
        let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return .corruptImage(format: "PNG", detail: text.isEmpty ? "status \(status)" : text)
    }
}
