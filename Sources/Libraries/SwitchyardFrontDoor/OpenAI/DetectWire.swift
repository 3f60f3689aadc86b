import SwitchyardContract
import SwitchyardJSON

/// A `POST /v1/detect` body, validated: one image (`https://`, `s3://` or `data:`), an optional
/// detector (a catalog id, or `auto`), thresholds, and routing hints in `switchyard` as for chat.
///
/// ```json
/// {"image": "https://…/street.jpg", "model": "yolov8n-lambda", "confidence_threshold": 0.3,
///  "iou_threshold": 0.5, "max_detections": 100, "switchyard": {"route": "cheapest"}}
/// ```
public struct DetectRequest: Sendable, Equatable {
    public var image: ImageReference
    /// nil for `auto` (the router chooses the detector).
    public var model: ModelID?
    public var hints: RoutingHints
    public var user: String?

    /// Parses and validates a body.
    /// - Throws: `FrontDoor.InvalidRequest` naming the parameter, `FrontDoor.ModelNotFound` for a
    ///   malformed model id.
    public init(body: [UInt8]) throws(FrontDoorError) {
        let body = try JSONReader(body: body)
        guard let text = try body.string("image", maxBytes: 64 << 20) else {
            throw .invalidRequest(
                param: "image", message: "'image' is required (an https:// or s3:// URL, or a data: URL)")
        }
        do { image = try ImageReference(parsing: text) } catch {
            throw .invalidRequest(param: "image", message: error.errorMessage)
        }
        let options = try DetectorOptions(body)
        model = options.model
        hints = options.hints
        user = try body.string("user", maxBytes: ChatCompletionRequest.Limits.userBytes)
    }
}

/// The detector options `/v1/detect` and `/v1/batches` share, parsed in one place: `model` (a
/// catalog id, or `auto`), the `switchyard` hints as for chat, and the detection thresholds
/// (`confidence_threshold` and `iou_threshold` in (0, 1], `max_detections` 1...1000) as hints.
struct DetectorOptions {
    /// nil for `auto` (the router chooses).
    var model: ModelID?
    var hints: RoutingHints

    init(_ body: JSONReader) throws(FrontDoorError) {
        if let modelText = try body.string("model", maxBytes: 256), modelText != "auto", !modelText.isEmpty {
            let id = ModelID(modelText)
            guard id.isWellFormed else { throw .modelNotFound(modelText) }
            model = id
        }
        hints = try ChatCompletionRequest.hints(body.value("switchyard"))
        hints.model = model
        hints.confidenceThreshold = try Self.threshold(body, "confidence_threshold")
        hints.iouThreshold = try Self.threshold(body, "iou_threshold")
        hints.maxDetections = try body.int("max_detections", range: 1...1000).map { Int($0) }
    }

    /// A threshold in (0, 1].
    static func threshold(_ body: JSONReader, _ key: String) throws(FrontDoorError) -> Double? {
        guard let value = try body.double(key, range: 0...1) else { return nil }
        guard value > 0 else { throw .invalidRequest(param: key, message: "'\(key)' must be within (0, 1]") }
        return value
    }
}

/// The `/v1/detect` answer: the detector's boxes in source-image pixels with class names and
/// scores, the decoded image's size, the detector used, and the usage block with exact cost.
public enum DetectResponse {
    public static func body(
        requestID: String, created: Int64, outcome: VisionOutcome, image: ImageDetections, cost: PicoUSD
    ) -> [UInt8] {
        let detections: [JSON] = image.detections.map { d in
            .object(
                JSONObject([
                    (
                        "box",
                        .object(
                            JSONObject([
                                ("x1", .double(d.box.x1)), ("y1", .double(d.box.y1)), ("x2", .double(d.box.x2)),
                                ("y2", .double(d.box.y2)),
                            ]))
                    ),
                    ("class_id", .integer(Int64(d.classID))),
                    ("class_name", d.className.map { .string($0) } ?? .null),
                    ("score", .double(d.confidence)),
                ]))
        }
        let model = image.model ?? outcome.model
        let body = JSONObject([
            ("id", .string("det-" + requestID)), ("object", .string("detection")), ("created", .integer(created)),
            ("model", model.map { .string($0.rawValue) } ?? .null),
            (
                "image",
                .object(
                    JSONObject([
                        ("width", .integer(Int64(image.width))), ("height", .integer(Int64(image.height))),
                        ("format", .string(image.format)), ("orientation", .integer(Int64(image.orientation))),
                    ]))
            ),
            ("detections", .array(detections)),
            (
                "usage",
                .object(
                    JSONObject([
                        ("images", .integer(1)), ("cost_usd", .string(cost.description)),
                        ("cost_pico_usd", .integer(cost.rawValue)),
                    ]))
            ),
        ])
        return JSON.object(body).serialized()
    }
}
