import SwitchyardCore

/// What can go wrong with an image or a detector, as stable `errorType` strings. The vision
/// function reports them in its outcome's `error` (a structured `failed` outcome, not a Lambda
/// error), and Choice states and dashboards match the same strings. Reading a referenced image
/// fails with the shared `Image.*` types instead (`ImageFetchError`).
public enum VisionError: FunctionError, Equatable {
    /// The bytes claim a supported format (signature matched) but do not decode.
    case corruptImage(format: String, detail: String)
    /// A recognised image format this function does not decode (GIF, WebP, TIFF, BMP, HEIC...).
    case unsupportedFormat(String)
    /// The bytes are not any image format we know.
    case notAnImage(firstBytes: String)
    /// The header declares more pixels (or a larger side) than the cap; refused before decoding.
    case imageTooLarge(width: Int, height: Int, limit: Int)
    /// No bytes, or a header with a zero side.
    case emptyImage(String)
    /// The event itself is unusable (no image, too many images, a threshold out of range...).
    case invalidRequest(String)
    /// The model's output does not have the expected `[batch, 4+nc, anchors]` shape or content.
    case badModelOutput(String)
    /// The model endpoint could not be reached, timed out or answered 5xx/429.
    case backendUnavailable(backend: String, detail: String)
    /// The model endpoint refused the request (4xx).
    case backendRejected(backend: String, status: Int, detail: String)
    /// In-process inference failed.
    case inferenceFailed(String)
    /// A detector's model file is missing, unreadable or not a usable YOLOv8 model (an init error).
    case modelUnavailable(String)
    /// None of the plan's detectors is one this function runs (catalog mismatch).
    case noDetector(String)
    /// The invocation's deadline passed before every image was done.
    case deadlineExceeded(String)

    public var errorType: String {
        switch self {
        case .corruptImage: "Vision.CorruptImage"
        case .unsupportedFormat: "Vision.UnsupportedFormat"
        case .notAnImage: "Vision.NotAnImage"
        case .imageTooLarge: "Vision.ImageTooLarge"
        case .emptyImage: "Vision.EmptyImage"
        case .invalidRequest: "Vision.InvalidRequest"
        case .badModelOutput: "Vision.BadModelOutput"
        case .backendUnavailable: "Vision.BackendUnavailable"
        case .backendRejected: "Vision.BackendRejected"
        case .inferenceFailed: "Vision.InferenceFailed"
        case .modelUnavailable: "Vision.ModelUnavailable"
        case .noDetector: "Vision.NoDetector"
        case .deadlineExceeded: "Vision.Timeout"
        }
    }

    public var errorMessage: String {
        switch self {
        case .corruptImage(let format, let detail): "the \(format) image is corrupt or truncated: \(detail.prefix(200))"
        case .unsupportedFormat(let format): "\(format) images are not supported; send JPEG or PNG"
        case .notAnImage(let firstBytes): "the data is not a JPEG or PNG image (starts with \(firstBytes))"
        case .imageTooLarge(let width, let height, let limit):
            "the image is \(width)x\(height) pixels, over the limit of \(limit) pixels; refused before decoding"
        case .emptyImage(let detail): "the image is empty: \(detail)"
        case .invalidRequest(let detail): "invalid vision request: \(detail.prefix(300))"
        case .badModelOutput(let detail): "the model's output is not a YOLOv8 detection tensor: \(detail.prefix(300))"
        case .backendUnavailable(let backend, let detail):
            "the \(backend) backend is unavailable: \(detail.prefix(200))"
        case .backendRejected(let backend, let status, let detail):
            "the \(backend) backend refused the request with status \(status): \(detail.prefix(200))"
        case .inferenceFailed(let detail): "in-process inference failed: \(detail.prefix(300))"
        case .modelUnavailable(let detail): "detector model unavailable: \(detail.prefix(300))"
        case .noDetector(let detail): "no detector of the plan is available: \(detail.prefix(300))"
        case .deadlineExceeded(let detail): "the deadline passed: \(detail.prefix(200))"
        }
    }

    /// A failure of the detector rather than of the image or request: the next candidate of the
    /// plan may succeed where this one did not.
    public var isDetectorFailure: Bool {
        switch self {
        case .badModelOutput, .backendUnavailable, .backendRejected, .inferenceFailed, .modelUnavailable: true
        default: false
        }
    }
}
