import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardVision

/// The contract of AWS's "Hosting YOLOv8 on SageMaker endpoints" sample: the body is a base64
/// JPEG, the answer `{"boxes": [[x1, y1, x2, y2, conf, cls], ...]}` in that image's pixels
/// (the endpoint letterboxes, runs the model and applies its own NMS). Thresholds here can only
/// tighten the endpoint's (Ultralytics defaults: conf 0.25, IoU 0.7).
public struct HostingSampleBackend: DetectionBackend {
    public var name: String
    public var client: EndpointClient
    public var classNames: [Int: String]
    /// JPEG quality when an image must be re-encoded (PNG input, or EXIF rotation to bake in).
    public var jpegQuality: Int

    public init(
        name: String, client: EndpointClient, classNames: [Int: String], jpegQuality: Int = 95
    ) {
        self.name = name
        self.client = client
        self.classNames = classNames
        self.jpegQuality = jpegQuality
    }

    public var wantsEncodedImage: Bool { true }

    public func detect(_ image: PreparedImage, options: DetectionOptions, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> [Detection]
    {
        // Send the original bytes when they already show the upright image; otherwise the
        // endpoint (cv2.imdecode) would see other pixels than the ones boxes refer to.
        let jpeg: [UInt8]
        if image.format == .jpeg && image.orientation == 1, let encoded = image.encoded {
            jpeg = encoded
        } else {
            jpeg = try ImageEncoder.jpeg(
                EXIFOrientation.apply(image.orientation, to: image.image), quality: jpegQuality)
        }
        // The sample's clients send `text/csv`; its input_fn ignores the type.
        let response = try await client.post(
            body: Base64.encodeToBytes(jpeg), contentType: "text/csv", accept: "application/json", deadline: deadline)
        let size = image.uprightSize
        return try parse(response.body, width: size.width, height: size.height, options: options)
    }

    func parse(_ body: [UInt8], width: Int, height: Int, options: DetectionOptions) throws(VisionError) -> [Detection] {
        let document: JSON
        do { document = try JSON.parse(body) } catch {
            throw .badModelOutput("the endpoint's answer is not JSON: \(error)")
        }
        guard let object = document.objectValue else { throw .badModelOutput("expected a JSON object with \"boxes\"") }
        guard let boxes = object["boxes"] else { return [] }  // the sample omits "boxes" when nothing was found
        guard let rows = boxes.arrayValue else { throw .badModelOutput("\"boxes\" is not an array") }
        var detections: [Detection] = []
        for (index, row) in rows.enumerated() {
            guard let values = row.arrayValue?.compactMap(\.doubleValue), values.count == 6,
                values.allSatisfy(\.isFinite)
            else {
                throw .badModelOutput("boxes[\(index)] is not [x1, y1, x2, y2, conf, cls]")
            }
            guard Float(values[4]) > options.confidenceThreshold else { continue }
            let classID = Int(values[5])
            let box = BoundingBox(
                x1: min(max(values[0], 0), Double(width)), y1: min(max(values[1], 0), Double(height)),
                x2: min(max(values[2], 0), Double(width)), y2: min(max(values[3], 0), Double(height)))
            detections.append(
                Detection(box: box, confidence: values[4], classID: classID, className: classNames[classID]))
        }
        detections.sort { $0.confidence > $1.confidence }
        return Array(detections.prefix(options.maxDetections))
    }
}
