import SwitchyardVision
import XCTest

final class YOLOPostprocessorTests: XCTestCase {
    /// A `[1, 4+classes, anchors]` output with the given anchors set; all other scores zero.
    func output(
        classes: Int, anchors: Int, set: [(anchor: Int, box: (Float, Float, Float, Float), cls: Int, score: Float)]
    ) -> Tensor {
        var values = [Float](repeating: 0, count: (4 + classes) * anchors)
        for entry in set {
            values[entry.anchor] = entry.box.0
            values[anchors + entry.anchor] = entry.box.1
            values[2 * anchors + entry.anchor] = entry.box.2
            values[3 * anchors + entry.anchor] = entry.box.3
            values[(4 + entry.cls) * anchors + entry.anchor] = entry.score
        }
        return Tensor(shape: [1, 4 + classes, anchors], values: values)
    }

    let fullHD = LetterboxGeometry(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640)

    func testBoxesAreMappedBackToTheSourceImage() throws {
        let out = output(classes: 3, anchors: 10, set: [(2, (320, 320, 64, 32), 1, 0.9)])
        let detections = try YOLOPostprocessor(classNames: [1: "bicycle"]).detections(from: out, geometries: [fullHD])[
            0]
        XCTAssertEqual(detections.count, 1)
        let d = detections[0]
        XCTAssertEqual(d.classID, 1)
        XCTAssertEqual(d.className, "bicycle")
        XCTAssertEqual(d.confidence, 0.9, accuracy: 1e-6)
        // (288..352, 304..336) in the input → minus padding (0, 140) → times 3.
        XCTAssertEqual(d.box.x1, 864, accuracy: 1e-3)
        XCTAssertEqual(d.box.x2, 1056, accuracy: 1e-3)
        XCTAssertEqual(d.box.y1, 492, accuracy: 1e-3)
        XCTAssertEqual(d.box.y2, 588, accuracy: 1e-3)
    }

    func testBoxesAreClippedToTheImage() throws {
        let out = output(classes: 1, anchors: 4, set: [(0, (10, 150, 100, 40), 0, 0.5)])
        let d = try YOLOPostprocessor().detections(from: out, geometries: [fullHD])[0][0]
        XCTAssertEqual(d.box.x1, 0)
        XCTAssertEqual(d.box.y1, 0)
        XCTAssertNil(d.className)
    }

    func testClassAwareSuppressionAndThresholds() throws {
        let out = output(
            classes: 2, anchors: 6,
            set: [
                (0, (100, 200, 50, 50), 0, 0.9), (1, (102, 201, 50, 50), 0, 0.8),  // same class, overlapping
                (2, (101, 200, 50, 50), 1, 0.7),  // other class, same place
                (3, (400, 300, 20, 20), 1, 0.2),  // below 0.25
            ])
        let detections = try YOLOPostprocessor().detections(from: out, geometries: [fullHD])[0]
        XCTAssertEqual(detections.map(\.classID), [0, 1])
        let strict = try YOLOPostprocessor().detections(
            from: out, geometries: [fullHD], options: DetectionOptions(confidenceThreshold: 0.75))[0]
        XCTAssertEqual(strict.count, 1)
        let top1 = try YOLOPostprocessor().detections(
            from: out, geometries: [fullHD], options: DetectionOptions(confidenceThreshold: 0.1, maxDetections: 1))[0]
        XCTAssertEqual(top1.map(\.confidence).map { Float($0) }, [0.9])
    }

    func testWrongShapesAreBadModelOutput() {
        let cases = [
            Tensor(shape: [1, 84], values: [Float](repeating: 0, count: 84)),
            Tensor(shape: [1, 4, 10], values: [Float](repeating: 0, count: 40)),
            Tensor(shape: [2, 6, 10], values: [Float](repeating: 0, count: 120)),
        ]
        for tensor in cases {
            XCTAssertThrowsError(try YOLOPostprocessor().detections(from: tensor, geometries: [fullHD])) { error in
                XCTAssertEqual((error as? VisionError)?.errorType, "Vision.BadModelOutput")
            }
        }
    }

    func testNonFiniteCandidateBoxIsBadModelOutput() {
        let out = output(classes: 1, anchors: 2, set: [(0, (.nan, 10, 10, 10), 0, 0.9)])
        XCTAssertThrowsError(try YOLOPostprocessor().detections(from: out, geometries: [fullHD])) { error in
            XCTAssertEqual((error as? VisionError)?.errorType, "Vision.BadModelOutput")
        }
    }

    func testBatchOfTwo() throws {
        let a = output(classes: 1, anchors: 3, set: [(0, (320, 320, 10, 10), 0, 0.9)])
        let b = output(classes: 1, anchors: 3, set: [])
        let both = Tensor(shape: [2, 5, 3], values: a.values + b.values)
        let result = try YOLOPostprocessor().detections(from: both, geometries: [fullHD, fullHD])
        XCTAssertEqual(result.map(\.count), [1, 0])
    }

    /// The same boundary through the whole post-processing (what the function runs): two class-0
    /// boxes, the second inside the first with half its area (IoU exactly 0.5).
    func testPostprocessingKeepsABoxAtExactlyTheIoUThreshold() throws {
        let square = LetterboxGeometry(sourceWidth: 640, sourceHeight: 640, targetWidth: 640, targetHeight: 640)
        let out = output(
            classes: 2, anchors: 6, set: [(1, (100, 100, 40, 40), 0, 0.9), (4, (100, 90, 40, 20), 0, 0.8)])
        let at = try YOLOPostprocessor().detections(
            from: out, geometries: [square], options: DetectionOptions(iouThreshold: 0.5))[0]
        XCTAssertEqual(at.map(\.confidence).map { Float($0) }, [0.9, 0.8])
        let under = try YOLOPostprocessor().detections(
            from: out, geometries: [square], options: DetectionOptions(iouThreshold: 0.45))[0]
        XCTAssertEqual(under.count, 1)
    }
}
