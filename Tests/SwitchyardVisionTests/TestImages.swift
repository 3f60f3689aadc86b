import CZlib
import SwitchyardVision

/// Deterministic images and hand-built files for the decoder tests.
enum TestImages {
    /// Smooth gradients in all three channels: resampling has something to do, JPEG stays accurate.
    static func gradient(width: Int, height: Int) -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                pixels[i] = UInt8((x * 255) / max(width - 1, 1))
                pixels[i + 1] = UInt8((y * 255) / max(height - 1, 1))
                pixels[i + 2] = UInt8(((x + y) * 255) / max(width + height - 2, 1))
            }
        }
        return RGBImage(width: width, height: height, pixels: pixels)
    }

    /// Left half red, right half blue, top quarter overwritten green: every flip and rotation
    /// gives a different picture, and 8x8 JPEG blocks stay flat.
    static func quadrants(width: Int = 64, height: Int = 32) -> RGBImage {
        var image = RGBImage(width: width, height: height, red: 0, green: 0, blue: 0)
        for y in 0..<height {
            for x in 0..<width {
                let i = (y * width + x) * 3
                if y < height / 4 {
                    image.pixels[i + 1] = 255
                } else if x < width / 2 {
                    image.pixels[i] = 255
                } else {
                    image.pixels[i + 2] = 255
                }
            }
        }
        return image
    }

    /// A PNG chunk with its CRC.
    static func chunk(_ type: String, _ data: [UInt8]) -> [UInt8] {
        let typeBytes = Array(type.utf8)
        var out = bigEndian(UInt32(data.count))
        out += typeBytes + data
        let crc = (typeBytes + data).withUnsafeBufferPointer { crc32(0, $0.baseAddress, UInt32($0.count)) }
        return out + bigEndian(UInt32(crc))
    }

    static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    /// A tiny, valid-looking PNG whose IHDR declares `width` x `height` 8-bit RGB pixels.
    static func pngHeader(width: UInt32, height: UInt32) -> [UInt8] {
        let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        let ihdr = bigEndian(width) + bigEndian(height) + [8, 2, 0, 0, 0]
        return signature + chunk("IHDR", ihdr) + chunk("IDAT", [0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])
            + chunk("IEND", [])
    }

    /// `jpeg` with an APP1 Exif segment carrying `orientation`, inserted after SOI.
    static func withOrientation(_ jpeg: [UInt8], _ orientation: UInt16, bigEndianTIFF: Bool = false) -> [UInt8] {
        func u16(_ v: UInt16) -> [UInt8] {
            bigEndianTIFF ? [UInt8(v >> 8), UInt8(v & 0xFF)] : [UInt8(v & 0xFF), UInt8(v >> 8)]
        }
        func u32(_ v: UInt32) -> [UInt8] {
            bigEndianTIFF
                ? bigEndian(v) : [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)]
        }
        var tiff: [UInt8] = bigEndianTIFF ? [0x4D, 0x4D] : [0x49, 0x49]
        tiff += u16(42) + u32(8)
        tiff += u16(1)  // one entry
        tiff += u16(0x0112) + u16(3) + u32(1) + u16(orientation) + [0, 0]
        tiff += u32(0)  // no next IFD
        let payload = Array("Exif".utf8) + [0, 0] + tiff
        let length = UInt16(payload.count + 2)
        let segment: [UInt8] = [0xFF, 0xE1, UInt8(length >> 8), UInt8(length & 0xFF)] + payload
        return Array(jpeg[0..<2]) + segment + Array(jpeg[2...])
    }
}
