import SwitchyardContract

/// Raw YOLOv8 detection output `[batch, 4 + nc, anchors]` → detections in source-image pixels:
/// best class per anchor, confidence filter, class-aware NMS, letterbox undone, clipped.
/// Mirrors Ultralytics' `non_max_suppression` + `scale_boxes` (see `test_vision_postprocess.py`
/// for the NumPy transcription it is checked against).
public struct YOLOPostprocessor: Sendable {
    /// Class names by class id; a missing id gets `className == nil`.
    public var classNames: [Int: String]

    public init(classNames: [Int: String] = [:]) {
        self.classNames = classNames
    }

    /// - Parameters:
    ///   - output: the model output; its shape must be `[geometries.count, 4 + nc, anchors]` with nc ≥ 1.
    ///   - geometries: the letterbox of each batch item.
    /// - Throws: `Vision.BadModelOutput` when the shape does not fit or values are not finite.
    public func detections(
        from output: Tensor, geometries: [LetterboxGeometry], options: DetectionOptions = DetectionOptions()
    ) throws(VisionError) -> [[Detection]] {
        guard output.shape.count == 3 else {
            throw .badModelOutput("expected 3 dimensions [batch, 4+classes, anchors], got shape \(output.shape)")
        }
        let (batch, rows, anchors) = (output.shape[0], output.shape[1], output.shape[2])
        guard batch == geometries.count else {
            throw .badModelOutput("batch dimension is \(batch) but \(geometries.count) images were sent")
        }
        guard rows >= 5, anchors >= 1 else {
            throw .badModelOutput("expected at least 5 rows (4 box + 1 class) and 1 anchor, got shape \(output.shape)")
        }
        return try output.values.withUnsafeBufferPointer { (values) throws(VisionError) -> [[Detection]] in
            var result: [[Detection]] = []
            for item in 0..<batch {
                let slice = UnsafeBufferPointer(
                    rebasing: values[(item * rows * anchors)..<((item + 1) * rows * anchors)])
                result.append(
                    try detections(slice, rows: rows, anchors: anchors, geometry: geometries[item], options: options))
            }
            return result
        }
    }

    private func detections(
        _ p: UnsafeBufferPointer<Float>, rows: Int, anchors: Int, geometry g: LetterboxGeometry,
        options: DetectionOptions
    ) throws(VisionError) -> [Detection] {
        let classes = rows - 4
        // Best score per anchor, walking class rows (contiguous in memory): a plain max that vectorises.
        var best = Array(p[(4 * anchors)..<(5 * anchors)])
        best.withUnsafeMutableBufferPointer { best in
            let best = best.baseAddress!
            for c in 1..<max(classes, 1) {
                let row = p.baseAddress! + (4 + c) * anchors
                for i in 0..<anchors {
                    let value = row[i]
                    best[i] = value > best[i] ? value : best[i]
                }
            }
        }
        var candidates: [Int] = []
        for i in 0..<anchors where best[i] > options.confidenceThreshold { candidates.append(i) }
        candidates.sort { best[$0] > best[$1] }
        if candidates.count > options.maxCandidates { candidates.removeLast(candidates.count - options.maxCandidates) }

        var boxes: [NonMaxSuppression.Box] = []
        var scores: [Float] = []
        var classIDs: [Int] = []
        boxes.reserveCapacity(candidates.count)
        for i in candidates {
            let cx = p[i], cy = p[anchors + i], w = p[2 * anchors + i], h = p[3 * anchors + i]
            guard cx.isFinite, cy.isFinite, w.isFinite, h.isFinite else {
                throw .badModelOutput("anchor \(i) has a non-finite box (\(cx), \(cy), \(w), \(h))")
            }
            // xywh → xyxy in float32, as Ultralytics' xywh2xyxy does on the tensor.
            let x1 = cx - w / 2, y1 = cy - h / 2, x2 = cx + w / 2, y2 = cy + h / 2
            boxes.append(
                .init(x: Double(x1), y: Double(y1), width: Double(x2) - Double(x1), height: Double(y2) - Double(y1)))
            scores.append(best[i])
            // The class only for candidates: the first class reaching the maximum (NumPy's argmax).
            var c = 0
            while c < classes - 1 && p[(4 + c) * anchors + i] != best[i] { c += 1 }
            classIDs.append(c)
        }
        // Candidates are already filtered and sorted; per-class NMS, as Ultralytics' class offsets amount to.
        let kept = NonMaxSuppression.greedy(
            boxes, order: Array(boxes.indices), classIDs: classIDs, iouThreshold: options.iouThreshold,
            sameClassOnly: true)
        let width = Double(g.sourceWidth), height = Double(g.sourceHeight)
        return kept.prefix(options.maxDetections).map { k in
            let b = boxes[k]
            let (x1, y1) = g.sourcePoint(x: b.x, y: b.y)
            let (x2, y2) = g.sourcePoint(x: b.x + b.width, y: b.y + b.height)
            return Detection(
                box: BoundingBox(
                    x1: min(max(x1, 0), width), y1: min(max(y1, 0), height),
                    x2: min(max(x2, 0), width), y2: min(max(y2, 0), height)),
                confidence: Double(scores[k]), classID: classIDs[k], className: classNames[classIDs[k]])
        }
    }
}
