import XCTest

@testable import SwitchyardVision

final class LetterboxTests: XCTestCase {
    func testFullHDGeometry() {
        let g = LetterboxGeometry(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640)
        XCTAssertEqual(g.resizedWidth, 640)
        XCTAssertEqual(g.resizedHeight, 360)
        XCTAssertEqual([g.left, g.top, g.right, g.bottom], [0, 140, 0, 140])
    }

    /// An odd padding total splits with the extra pixel at the bottom/right, as Ultralytics'
    /// `round(d - 0.1)`, `round(d + 0.1)` does.
    func testOddPaddingSplitsLikeUltralytics() {
        let g = LetterboxGeometry(sourceWidth: 640, sourceHeight: 427, targetWidth: 640, targetHeight: 640)
        XCTAssertEqual(g.resizedHeight, 427)
        XCTAssertEqual(g.top, 106)
        XCTAssertEqual(g.bottom, 107)
        XCTAssertEqual(g.top + g.resizedHeight + g.bottom, 640)
    }

    func testSmallImagesAreScaledUp() {
        let g = LetterboxGeometry(sourceWidth: 100, sourceHeight: 50, targetWidth: 640, targetHeight: 640)
        XCTAssertEqual(g.scale, 6.4)
        XCTAssertEqual(g.resizedWidth, 640)
        XCTAssertEqual(g.resizedHeight, 320)
    }

    func testExtremeStripKeepsAtLeastOnePixel() {
        let g = LetterboxGeometry(sourceWidth: 1, sourceHeight: 20_000, targetWidth: 640, targetHeight: 640)
        XCTAssertEqual(g.resizedWidth, 1)
        XCTAssertEqual(g.left + g.resizedWidth + g.right, 640)
    }

    func testSourcePointUndoesTheLetterbox() {
        let g = LetterboxGeometry(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640)
        let (x, y) = g.sourcePoint(x: 320, y: 140 + 180)
        XCTAssertEqual(x, 960, accuracy: 1e-9)
        XCTAssertEqual(y, 540, accuracy: 1e-9)
    }

    func testUniformImageStaysUniformAndPaddingIs114() {
        let image = RGBImage(width: 300, height: 200, red: 10, green: 200, blue: 77)
        let (boxed, g) = YOLOPreprocessor().letterboxedImage(image)
        XCTAssertEqual(g.top, 106)  // 213 rows of padding: 106 above, 107 below
        func pixel(_ x: Int, _ y: Int) -> [UInt8] { Array(boxed.pixels[((y * 640 + x) * 3)..<((y * 640 + x) * 3 + 3)]) }
        XCTAssertEqual(pixel(0, 0), [114, 114, 114])
        XCTAssertEqual(pixel(639, 639), [114, 114, 114])
        for y in [g.top, 320, g.top + g.resizedHeight - 1] {
            for x in [0, 320, 639] { XCTAssertEqual(pixel(x, y), [10, 200, 77]) }
        }
    }

    /// An exact 2x downscale of bilinear with half-pixel centres is the 2x2 mean (rounded).
    func testHalvingAveragesTwoByTwoBlocks() {
        let image = TestImages.gradient(width: 8, height: 6)
        let resizer = BilinearResizer(sourceWidth: 8, sourceHeight: 6, width: 4, height: 3)
        var rows: [[UInt8]] = []
        image.pixels.withUnsafeBufferPointer { source in resizer.resize(source) { _, row in rows.append(Array(row)) } }
        for y in 0..<3 {
            for x in 0..<4 {
                for c in 0..<3 {
                    let s = [(2 * y, 2 * x), (2 * y, 2 * x + 1), (2 * y + 1, 2 * x), (2 * y + 1, 2 * x + 1)]
                        .map { Int(image.pixels[($0.0 * 8 + $0.1) * 3 + c]) }.reduce(0, +)
                    XCTAssertEqual(Int(rows[y][x * 3 + c]), (s + 2) / 4, accuracy: 1)
                }
            }
        }
    }

    func testTensorIsPlanarRGBScaledToUnit() {
        var image = RGBImage(width: 640, height: 640, red: 255, green: 0, blue: 51)
        image.pixels[0] = 0
        let (tensor, _) = YOLOPreprocessor().tensor(for: image)
        XCTAssertEqual(tensor.shape, [1, 3, 640, 640])
        let plane = 640 * 640
        XCTAssertEqual(tensor.values[0], 0)
        XCTAssertEqual(tensor.values[1], 1)
        XCTAssertEqual(tensor.values[plane + 5], 0)
        XCTAssertEqual(tensor.values[2 * plane + 5], Float(51) / 255)
    }

    func testBatchStacksImagesWithTheirOwnGeometry() {
        let images = [
            RGBImage(width: 1920, height: 1080, red: 1, green: 2, blue: 3),
            RGBImage(width: 50, height: 100, red: 4, green: 5, blue: 6),
        ]
        let preprocessor = YOLOPreprocessor(inputWidth: 320, inputHeight: 320)
        let (batch, geometries) = preprocessor.batch(images)
        XCTAssertEqual(batch.shape, [2, 3, 320, 320])
        XCTAssertEqual(geometries.map(\.resizedHeight), [180, 320])
        for (index, image) in images.enumerated() {
            let single = preprocessor.tensor(for: image).tensor.values
            XCTAssertEqual(Array(batch.values[(index * single.count)..<((index + 1) * single.count)]), single)
        }
    }

    /// Reading a stored image through its EXIF orientation gives exactly the tensor of the image
    /// turned first (for every orientation, sizes that resize and one that does not).
    func testReadingThroughTheOrientationEqualsTurningFirst() {
        for (width, height) in [(96, 40), (40, 96), (640, 480), (57, 31)] {
            let stored = TestImages.gradient(width: width, height: height)
            let preprocessor = YOLOPreprocessor(inputWidth: 64, inputHeight: 64)
            let exact = YOLOPreprocessor(inputWidth: max(width, height), inputHeight: max(width, height))
            for orientation in 1...8 {
                let turned = EXIFOrientation.apply(orientation, to: stored)
                for p in [preprocessor, exact] {
                    XCTAssertEqual(
                        p.tensor(for: stored, orientation: orientation).tensor, p.tensor(for: turned).tensor,
                        "\(width)x\(height) orientation \(orientation) input \(p.inputWidth)")
                    XCTAssertEqual(
                        p.letterboxedImage(stored, orientation: orientation).image, p.letterboxedImage(turned).image)
                    XCTAssertEqual(p.geometry(for: stored, orientation: orientation), p.geometry(for: turned))
                }
            }
        }
    }
}
