import SwitchyardVision
import XCTest

final class ImageDecoderTests: XCTestCase {
    func assertVisionError(
        _ expected: String, _ body: () throws -> Void, file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual((error as? VisionError)?.errorType, expected, "\(error)", file: file, line: line)
        }
    }

    func testPNGRoundTripIsExact() throws {
        let image = TestImages.gradient(width: 37, height: 23)
        let decoded = try ImageDecoder.decode(try ImageEncoder.png(image))
        XCTAssertEqual(decoded.format, .png)
        XCTAssertEqual(decoded.image, image)
    }

    func testJPEGRoundTripIsClose() throws {
        let image = TestImages.gradient(width: 64, height: 48)
        let decoded = try ImageDecoder.decode(try ImageEncoder.jpeg(image, quality: 100))
        XCTAssertEqual(decoded.format, .jpeg)
        XCTAssertEqual(decoded.image.width, 64)
        XCTAssertEqual(decoded.image.height, 48)
        let worst = zip(decoded.image.pixels, image.pixels).map { abs(Int($0) - Int($1)) }.max()!
        XCTAssertLessThan(worst, 40)  // 4:2:0 chroma on a busy pattern; a broken decode is off by ~255
    }

    func testTruncatedJPEGIsCorrupt() throws {
        let jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 64, height: 64))
        assertVisionError("Vision.CorruptImage") { _ = try ImageDecoder.decode(Array(jpeg.prefix(jpeg.count / 2))) }
        assertVisionError("Vision.CorruptImage") { _ = try ImageDecoder.decode(Array(jpeg.prefix(20))) }
    }

    func testTruncatedPNGIsCorrupt() throws {
        let png = try ImageEncoder.png(TestImages.gradient(width: 64, height: 64))
        assertVisionError("Vision.CorruptImage") { _ = try ImageDecoder.decode(Array(png.prefix(png.count - 20))) }
        assertVisionError("Vision.CorruptImage") { _ = try ImageDecoder.decode(Array(png.prefix(30))) }
    }

    func testCorruptedPNGDataFailsItsCRC() throws {
        var png = try ImageEncoder.png(TestImages.gradient(width: 64, height: 64))
        png[png.count / 2] ^= 0xFF
        assertVisionError("Vision.CorruptImage") { _ = try ImageDecoder.decode(png) }
    }

    func testDecompressionBombIsRefusedFromTheHeader() {
        // 60000 x 60000 RGB would be 10.8 GB; the file is 70 bytes.
        let bomb = TestImages.pngHeader(width: 60_000, height: 60_000)
        XCTAssertLessThan(bomb.count, 100)
        assertVisionError("Vision.ImageTooLarge") { _ = try ImageDecoder.decode(bomb) }
        // No IDAT at all: libpng would call it corrupt, but the cap is checked from IHDR first.
        let headerOnly = Array(bomb.prefix(33)) + TestImages.chunk("IEND", [])
        assertVisionError("Vision.ImageTooLarge") { _ = try ImageDecoder.decode(headerOnly) }
        let wide = TestImages.pngHeader(width: 30_000, height: 10)
        assertVisionError("Vision.ImageTooLarge") { _ = try ImageDecoder.decode(wide) }
    }

    func testPixelCapIsConfigurable() throws {
        let jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 100, height: 100))
        assertVisionError("Vision.ImageTooLarge") {
            _ = try ImageDecoder.decode(jpeg, limits: DecodeLimits(maxPixels: 9_999))
        }
        XCTAssertNoThrow(try ImageDecoder.decode(jpeg, limits: DecodeLimits(maxPixels: 10_000)))
    }

    func testEmptyAndZeroSizedImages() {
        assertVisionError("Vision.EmptyImage") { _ = try ImageDecoder.decode([]) }
        assertVisionError("Vision.EmptyImage") {
            _ = try ImageDecoder.decode(TestImages.pngHeader(width: 0, height: 10))
        }
        assertVisionError("Vision.EmptyImage") {
            _ = try ImageDecoder.decode(TestImages.pngHeader(width: 10, height: 0))
        }
    }

    func testZeroHeightJPEGIsEmpty() throws {
        var jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 16, height: 16))
        // Find SOF0 (FFC0) and zero its height field.
        let sof = (0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC0 }!
        jpeg[sof + 5] = 0
        jpeg[sof + 6] = 0
        assertVisionError("Vision.EmptyImage") { _ = try ImageDecoder.decode(jpeg) }
    }

    func testUnsupportedFormatsAreNamed() {
        let gif = Array("GIF89a".utf8) + [1, 0, 1, 0, 0, 0, 0]
        assertVisionError("Vision.UnsupportedFormat") { _ = try ImageDecoder.decode(gif) }
        let webp = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WEBPVP8 ".utf8)
        assertVisionError("Vision.UnsupportedFormat") { _ = try ImageDecoder.decode(webp) }
        let tiff: [UInt8] = [0x49, 0x49, 0x2A, 0x00, 8, 0, 0, 0]
        assertVisionError("Vision.UnsupportedFormat") { _ = try ImageDecoder.decode(tiff) }
        let heic: [UInt8] = [0, 0, 0, 0x18] + Array("ftypheic".utf8) + [0, 0, 0, 0]
        assertVisionError("Vision.UnsupportedFormat") { _ = try ImageDecoder.decode(heic) }
    }

    func testNonImagesAreRejected() {
        assertVisionError("Vision.NotAnImage") { _ = try ImageDecoder.decode(Array("{\"hello\": \"world\"}".utf8)) }
        assertVisionError("Vision.NotAnImage") { _ = try ImageDecoder.decode(Array("%PDF-1.7".utf8)) }
    }

    func testDimensionsReadOnlyTheHeader() throws {
        let bomb = TestImages.pngHeader(width: 60_000, height: 50_000)
        let (width, height) = try ImageDecoder.dimensions(bomb)
        XCTAssertEqual(width, 60_000)
        XCTAssertEqual(height, 50_000)
    }
}
