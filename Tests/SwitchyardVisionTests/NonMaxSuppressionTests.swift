import XCTest

@testable import SwitchyardVision

final class NonMaxSuppressionTests: XCTestCase {
    typealias Box = NonMaxSuppression.Box

    func testOverlappingBoxesOfOneClassKeepTheBest() {
        let boxes = [
            Box(x: 0, y: 0, width: 10, height: 10), Box(x: 1, y: 1, width: 10, height: 10),
            Box(x: 50, y: 50, width: 5, height: 5),
        ]
        let kept = NonMaxSuppression.batched(
            boxes: boxes, scores: [0.8, 0.9, 0.3], classIDs: [0, 0, 0], scoreThreshold: 0.25, iouThreshold: 0.5)
        XCTAssertEqual(kept, [1, 2])
    }

    func testDifferentClassesDoNotSuppressEachOther() {
        let boxes = [Box(x: 0, y: 0, width: 10, height: 10), Box(x: 0, y: 0, width: 10, height: 10)]
        let kept = NonMaxSuppression.batched(
            boxes: boxes, scores: [0.8, 0.9], classIDs: [3, 7], scoreThreshold: 0.1, iouThreshold: 0.5)
        XCTAssertEqual(kept, [1, 0])
    }

    func testThresholdIsStrictAndTiesKeepInputOrder() {
        let boxes = (0..<4).map { Box(x: Double($0) * 100, y: 0, width: 10, height: 10) }
        let kept = NonMaxSuppression.batched(
            boxes: boxes, scores: [0.5, 0.7, 0.5, 0.25], classIDs: [0, 0, 0, 0], scoreThreshold: 0.25, iouThreshold: 0.5
        )
        XCTAssertEqual(kept, [1, 0, 2])
    }

    func testIoUExactlyAtThresholdIsKept() {
        // Intersection 50, union 150 → IoU 1/3; kept at threshold 1/3 (OpenCV keeps overlap <= threshold).
        let boxes = [Box(x: 0, y: 0, width: 10, height: 10), Box(x: 5, y: 0, width: 10, height: 10)]
        XCTAssertEqual(
            NonMaxSuppression.batched(
                boxes: boxes, scores: [0.9, 0.8], classIDs: [0, 0], scoreThreshold: 0, iouThreshold: 0.34
            ).count, 2)
        XCTAssertEqual(
            NonMaxSuppression.batched(
                boxes: boxes, scores: [0.9, 0.8], classIDs: [0, 0], scoreThreshold: 0, iouThreshold: 0.33
            ).count, 1)
    }

    func testTopKLimitsCandidates() {
        let boxes = (0..<5).map { Box(x: Double($0) * 100, y: 0, width: 10, height: 10) }
        let kept = NonMaxSuppression.batched(
            boxes: boxes, scores: [0.1, 0.2, 0.3, 0.4, 0.5], classIDs: [0, 1, 2, 3, 4], scoreThreshold: 0,
            iouThreshold: 0.5, topK: 2)
        XCTAssertEqual(kept, [4, 3])
    }

    /// decisions.md's boundary: a box whose IoU with a kept box is exactly the threshold is kept
    /// (suppression is `>`, as OpenCV and Ultralytics). B lies inside A with half its area:
    /// intersection 50, union 100, IoU exactly 0.5 in any float format.
    func testIoUExactlyEqualToTheThresholdIsNotSuppressed() {
        let boxes = [Box(x: 0, y: 0, width: 10, height: 10), Box(x: 0, y: 0, width: 10, height: 5)]
        XCTAssertEqual(NonMaxSuppression.overlap(boxes[0], boxes[1]), 0.5)
        XCTAssertEqual(
            NonMaxSuppression.batched(
                boxes: boxes, scores: [0.9, 0.8], classIDs: [0, 0], scoreThreshold: 0, iouThreshold: 0.5),
            [0, 1])
        XCTAssertEqual(
            NonMaxSuppression.greedy(boxes, order: [0, 1], classIDs: [0, 0], iouThreshold: 0.5, sameClassOnly: true),
            [0, 1])
        // Just under the IoU, the lower-scored box goes.
        XCTAssertEqual(
            NonMaxSuppression.batched(
                boxes: boxes, scores: [0.9, 0.8], classIDs: [0, 0], scoreThreshold: 0, iouThreshold: 0.4999),
            [0])
    }
}
