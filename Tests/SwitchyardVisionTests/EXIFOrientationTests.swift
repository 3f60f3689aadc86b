import SwitchyardVision
import XCTest

final class EXIFOrientationTests: XCTestCase {
    /// The colour at a relative position of an image (x, y in 0...1).
    func color(_ image: RGBImage, _ x: Double, _ y: Double) -> (Int, Int, Int) {
        let px = min(Int(x * Double(image.width)), image.width - 1)
        let py = min(Int(y * Double(image.height)), image.height - 1)
        let i = (py * image.width + px) * 3
        return (Int(image.pixels[i]), Int(image.pixels[i + 1]), Int(image.pixels[i + 2]))
    }

    func isGreen(_ c: (Int, Int, Int)) -> Bool { c.1 > 200 && c.0 < 60 && c.2 < 60 }
    func isRed(_ c: (Int, Int, Int)) -> Bool { c.0 > 200 && c.1 < 60 && c.2 < 60 }
    func isBlue(_ c: (Int, Int, Int)) -> Bool { c.2 > 200 && c.0 < 60 && c.1 < 60 }

    func testReadsBothByteOrders() throws {
        let jpeg = try ImageEncoder.jpeg(TestImages.quadrants())
        for value in UInt16(1)...8 {
            jpeg.withUnsafeBytes { XCTAssertEqual(EXIFOrientation.read(jpeg: $0), 1) }
            TestImages.withOrientation(jpeg, value).withUnsafeBytes {
                XCTAssertEqual(EXIFOrientation.read(jpeg: $0), Int(value))
            }
            TestImages.withOrientation(jpeg, value, bigEndianTIFF: true).withUnsafeBytes {
                XCTAssertEqual(EXIFOrientation.read(jpeg: $0), Int(value))
            }
        }
    }

    func testOutOfRangeOrientationIsIgnored() throws {
        let jpeg = TestImages.withOrientation(try ImageEncoder.jpeg(TestImages.quadrants()), 9)
        XCTAssertEqual(try ImageDecoder.decode(jpeg).orientation, 1)
    }

    /// Orientation 6 means "rotate 90° clockwise to view": the green top band ends up on the right.
    func testRotate90ClockwiseOnDecode() throws {
        let jpeg = TestImages.withOrientation(try ImageEncoder.jpeg(TestImages.quadrants(), quality: 100), 6)
        let decoded = try ImageDecoder.decode(jpeg)
        XCTAssertEqual(decoded.orientation, 6)
        XCTAssertEqual(decoded.image.width, 32)
        XCTAssertEqual(decoded.image.height, 64)
        XCTAssertTrue(isGreen(color(decoded.image, 0.95, 0.5)))
        XCTAssertTrue(isRed(color(decoded.image, 0.3, 0.2)))  // the left half is now on top
        XCTAssertTrue(isBlue(color(decoded.image, 0.3, 0.8)))
    }

    func testAllOrientationsMapCorners() {
        let image = TestImages.quadrants()
        // Where the green band (source top) goes, and where red (source bottom-left) lands.
        let expectations: [Int: (green: (Double, Double), red: (Double, Double))] = [
            2: ((0.5, 0.05), (0.8, 0.8)), 3: ((0.5, 0.95), (0.8, 0.2)), 4: ((0.5, 0.95), (0.2, 0.2)),
            5: ((0.05, 0.5), (0.8, 0.2)), 6: ((0.95, 0.5), (0.2, 0.2)), 7: ((0.95, 0.5), (0.2, 0.8)),
            8: ((0.05, 0.5), (0.8, 0.8)),
        ]
        for (orientation, expected) in expectations {
            let turned = EXIFOrientation.apply(orientation, to: image)
            XCTAssertTrue(
                isGreen(color(turned, expected.green.0, expected.green.1)), "orientation \(orientation) green")
            XCTAssertTrue(isRed(color(turned, expected.red.0, expected.red.1)), "orientation \(orientation) red")
        }
    }
}
