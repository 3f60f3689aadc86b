/// Greedy non-maximum suppression with OpenCV's `cv::dnn::NMSBoxesBatched` semantics, so kept
/// indices are identical to the reference on any input:
/// - class-aware through OpenCV's offset trick (each box moved by `class * (maxCoordinate + 1)`,
///   computed in Double as OpenCV does; with negative coordinates classes can then interact, as
///   in OpenCV);
/// - candidates are scores strictly above the threshold, stable-sorted by descending score,
///   truncated to `topK` when `topK > 0`;
/// - a box is kept when its overlap with every kept box is `<= iouThreshold`, where overlap is
///   `1 - Float(1 - IoU)` (OpenCV's `rectOverlap` rounding).
public enum NonMaxSuppression {
    /// An axis-aligned box as OpenCV's `Rect2d`: top-left corner and size.
    public struct Box: Sendable, Equatable {
        public var x: Double
        public var y: Double
        public var width: Double
        public var height: Double

        public init(x: Double, y: Double, width: Double, height: Double) {
            self.x = x
            self.y = y
            self.width = width
            self.height = height
        }
    }

    /// Indices into `boxes` that survive, in descending score order.
    public static func batched(
        boxes: [Box], scores: [Float], classIDs: [Int], scoreThreshold: Float, iouThreshold: Float, topK: Int = 0
    ) -> [Int] {
        precondition(boxes.count == scores.count && scores.count == classIDs.count)
        var maxCoordinate = 0.0
        var minCoordinate = 0.0
        for box in boxes {
            maxCoordinate = max(box.x, maxCoordinate)
            maxCoordinate = max(box.y, maxCoordinate)
            maxCoordinate = max(box.x + box.width, maxCoordinate)
            maxCoordinate = max(box.y + box.height, maxCoordinate)
            minCoordinate = min(minCoordinate, box.x, box.y, box.x + box.width, box.y + box.height)
        }
        var candidates: [Int] = []
        for (index, score) in scores.enumerated() where score > scoreThreshold { candidates.append(index) }
        // Swift's sort is stable (a documented guarantee since Swift 5), as std::stable_sort.
        candidates.sort { scores[$0] > scores[$1] }
        if topK > 0 && topK < candidates.count { candidates.removeLast(candidates.count - topK) }
        let shifted = boxes.indices.map { index in
            let offset = Double(classIDs[index]) * (maxCoordinate + 1)
            return Box(
                x: boxes[index].x + offset, y: boxes[index].y + offset, width: boxes[index].width,
                height: boxes[index].height)
        }
        // With no negative coordinate, the offsets put every class in its own square, so boxes of
        // different classes never intersect and only same-class comparisons can suppress.
        return greedy(
            shifted, order: candidates, classIDs: classIDs, iouThreshold: iouThreshold,
            sameClassOnly: minCoordinate >= 0)
    }

    /// Greedy suppression over `order` (already sorted by descending score).
    /// - Parameter sameClassOnly: compare a box only with kept boxes of its own class (per-class
    ///   NMS); otherwise with every kept box.
    static func greedy(_ boxes: [Box], order: [Int], classIDs: [Int], iouThreshold: Float, sameClassOnly: Bool) -> [Int]
    {
        var kept: [Int] = []
        var keptByClass: [Int: [Box]] = [:]
        var keptBoxes: [Box] = []
        for index in order {
            let box = boxes[index]
            let rivals = sameClassOnly ? keptByClass[classIDs[index], default: []] : keptBoxes
            var keep = true
            for other in rivals where overlap(box, other) > iouThreshold {
                keep = false
                break
            }
            if keep {
                kept.append(index)
                if sameClassOnly {
                    keptByClass[classIDs[index], default: []].append(box)
                } else {
                    keptBoxes.append(box)
                }
            }
        }
        return kept
    }

    /// OpenCV's `rectOverlap`: `1 - (float)jaccardDistance(a, b)`.
    @inline(__always)
    static func overlap(_ a: Box, _ b: Box) -> Float {
        let areaA = a.width * a.height
        let areaB = b.width * b.height
        if areaA + areaB <= Double.ulpOfOne { return 1 }
        let x1 = max(a.x, b.x)
        let y1 = max(a.y, b.y)
        let w = min(a.x + a.width, b.x + b.width) - x1
        let h = min(a.y + a.height, b.y + b.height) - y1
        let intersection = (w <= 0 || h <= 0) ? 0 : w * h
        let distance = 1.0 - intersection / (areaA + areaB - intersection)
        return 1 - Float(distance)
    }
}
