import SwitchyardCore

/// Everything the vision function can fail with, as stable `errorType` strings that Step
/// Functions matches in `Retry`/`Catch` (for example retry `Vision.BackendUnavailable`, never
/// `Vision.CorruptImage`).
public enum VisionError: FunctionError, Equatable {
    /// The bytes claim a supported format (signature matched) but do not decode.
    case corruptImage(format: String, detail: String)
    /// A recognised image format this function does not decode (GIF, WebP, TIFF, BMP, HEIC...).
    case unsupportedFormat(String)
    /// The bytes are not any image format we know.
    case notAnImage(firstBytes: String)
    /// The header declares more pixels (or a larger side) than the configured cap; refused before decoding.
    case imageTooLarge(width: Int, height: Int, limit: Int)
    /// No bytes, or a header with a zero side.
    case emptyImage(String)
    /// The encoded image (inline, S3 or URL) is larger than the byte cap.
    case payloadTooLarge(bytes: Int, limit: Int)
    /// The image could not be fetched from S3 or a URL.
    case fetchFailed(source: String, detail: String)
    /// The request itself is malformed (no image, bad base64, bad threshold...).
    case invalidRequest(String)
    /// The model's output does not have the expected `[batch, 4+nc, anchors]` shape or content.
    case badModelOutput(String)
    /// The model endpoint could not be reached or answered with a server error (retryable).
    case backendUnavailable(backend: String, detail: String)
    /// The model endpoint refused the request (4xx): not retryable.
    case backendRejected(backend: String, status: Int, detail: String)

    public var errorType: String {
        switch self {
        case .corruptImage: "Vision.CorruptImage"
        case .unsupportedFormat: "Vision.UnsupportedFormat"
        case .notAnImage: "Vision.NotAnImage"
        case .imageTooLarge: "Vision.ImageTooLarge"
        case .emptyImage: "Vision.EmptyImage"
        case .payloadTooLarge: "Vision.PayloadTooLarge"
        case .fetchFailed: "Vision.FetchFailed"
        case .invalidRequest: "Vision.InvalidRequest"
        case .badModelOutput: "Vision.BadModelOutput"
        case .backendUnavailable: "Vision.BackendUnavailable"
        case .backendRejected: "Vision.BackendRejected"
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
        case .payloadTooLarge(let bytes, let limit):
            "the encoded image is \(bytes) bytes, over the limit of \(limit) bytes"
        case .fetchFailed(let source, let detail):
            "cannot fetch the image from \(source.prefix(200)): \(detail.prefix(200))"
        case .invalidRequest(let detail): "invalid vision request: \(detail.prefix(300))"
        case .badModelOutput(let detail): "the model's output is not a YOLOv8 detection tensor: \(detail.prefix(300))"
        case .backendUnavailable(let backend, let detail):
            "the \(backend) backend is unavailable: \(detail.prefix(200))"
        case .backendRejected(let backend, let status, let detail):
            "the \(backend) backend refused the request with status \(status): \(detail.prefix(200))"
        }
    }
}
