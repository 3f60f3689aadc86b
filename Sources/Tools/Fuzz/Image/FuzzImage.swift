// libFuzzer target: JPEG and PNG decoding (scripts/fuzz image). Any input either decodes to an
// image within the limits or fails with a VisionError; a crash or an ASan report is a find.
import SwitchyardVision

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    // Small limits keep each run fast while every size check is still reachable.
    guard let decoded = try? ImageDecoder.decode(bytes, limits: DecodeLimits(maxPixels: 4_000_000, maxSide: 4096))
    else { return 0 }
    let image = decoded.image
    guard image.width > 0, image.height > 0, image.width * image.height <= 4_000_000,
        image.pixels.count == image.width * image.height * 3
    else { fatalError("decoded image breaks its invariants: \(image.width)×\(image.height)") }
    return 0
}
