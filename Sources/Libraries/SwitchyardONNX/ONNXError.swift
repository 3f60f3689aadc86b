import SwitchyardCore

/// Why onnxruntime could not be loaded, a model not opened, or a run not completed.
public enum ONNXError: FunctionError, Equatable {
    /// `libonnxruntime.so` was not found or does not provide the C API (an init error).
    case libraryUnavailable(String)
    /// The model file is missing, unreadable or not a valid ONNX graph (an init error).
    case invalidModel(path: String, detail: String)
    /// The model opened but its inputs or outputs are not what the caller needs.
    case unsupportedModel(String)
    /// The caller's tensor does not fit the model's input.
    case invalidInput(String)
    /// onnxruntime failed while running the graph.
    case runFailed(String)

    public var errorType: String {
        switch self {
        case .libraryUnavailable: "ONNX.LibraryUnavailable"
        case .invalidModel: "ONNX.InvalidModel"
        case .unsupportedModel: "ONNX.UnsupportedModel"
        case .invalidInput: "ONNX.InvalidInput"
        case .runFailed: "ONNX.RunFailed"
        }
    }

    public var errorMessage: String {
        switch self {
        case .libraryUnavailable(let detail): "onnxruntime is not available: \(detail.prefix(300))"
        case .invalidModel(let path, let detail): "cannot open the model \(path.prefix(200)): \(detail.prefix(300))"
        case .unsupportedModel(let detail): "unsupported model: \(detail.prefix(300))"
        case .invalidInput(let detail): "invalid model input: \(detail.prefix(300))"
        case .runFailed(let detail): "inference failed: \(detail.prefix(300))"
        }
    }
}
