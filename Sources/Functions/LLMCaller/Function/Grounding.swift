import SwitchyardContract
import SwitchyardCore

/// The system message that grounds an answer in a detector's findings (`vision+llm` with
/// `plan.groundWithDetections`): per image, its size, the class counts and each box, rounded to
/// whole pixels with two-decimal confidence, so the model answers about what the detector saw.
/// Bounded: at most `maxBoxesPerImage` boxes are listed per image (the counts cover them all).
enum Grounding {
    static let maxBoxesPerImage = 50
    static let maxImages = 16

    static func describe(_ outcome: VisionOutcome) -> String {
        let detector = outcome.model.map { " (\($0.rawValue))" } ?? ""
        guard outcome.status != .failed, !outcome.results.isEmpty else {
            let why = outcome.error.map { ": \($0.errorType)" } ?? ""
            return "An object detector\(detector) was asked to examine the image but gave no result\(why). "
                + "Say so if the answer depends on it."
        }
        var lines = [
            "An object detector\(detector) examined the image(s). Use its detections below when you answer; "
                + "boxes are [x1, y1, x2, y2] in pixels from the top-left corner."
        ]
        for (i, image) in outcome.results.prefix(maxImages).enumerated() {
            let name = { (d: Detection) in d.className ?? "class \(d.classID)" }
            var counts: [String: Int] = [:]
            for d in image.detections { counts[name(d), default: 0] += 1 }
            let summary =
                counts.isEmpty
                ? "no objects detected"
                : counts.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                    .map { "\($0.value) \($0.key)" }.joinedText(separator: ", ")
            lines.append("Image \(i + 1) (\(image.width)×\(image.height)): \(summary).")
            for d in image.detections.sorted(by: { $0.confidence > $1.confidence }).prefix(maxBoxesPerImage) {
                lines.append(
                    "- \(name(d)) \(fixed2(d.confidence)) [\(pixel(d.box.x1)), \(pixel(d.box.y1)), "
                        + "\(pixel(d.box.x2)), \(pixel(d.box.y2))]")
            }
            if image.detections.count > maxBoxesPerImage {
                lines.append("- … \(image.detections.count - maxBoxesPerImage) more boxes not listed")
            }
        }
        if outcome.results.count > maxImages {
            lines.append("(\(outcome.results.count - maxImages) more images not described)")
        }
        return lines.joinedText(separator: "\n")
    }

    /// Whole pixels, rounded half away from zero; non-finite or absurd values print as 0.
    static func pixel(_ value: Double) -> Int {
        guard value.isFinite, abs(value) < 1e9 else { return 0 }
        return Int(value.rounded())
    }

    /// Two decimals without Foundation's formatter, e.g. `0.91`.
    static func fixed2(_ value: Double) -> String {
        guard value.isFinite else { return "0.00" }
        let hundredths = Int((min(max(value, 0), 1) * 100).rounded())
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
    }
}
