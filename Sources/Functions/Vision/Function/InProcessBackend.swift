import SwitchyardContract
import SwitchyardONNX
import SwitchyardVision
import Synchronization

/// YOLOv8 inside the vision function itself (provider `lambda`): our letterbox writes the float
/// input straight into a reused buffer, onnxruntime runs the graph on it in place, and our
/// post-processing reads the output. The session is created once at init.
public final class InProcessBackend: DetectionBackend {
    public let name = "lambda"
    public let session: ONNXSession
    public let inputName: String
    public let outputName: String
    public let preprocessor: YOLOPreprocessor
    public let postprocessor: YOLOPostprocessor
    /// Input buffers (`3 * H * W` floats, 4.9 MB at 640): reused so a request does not fault in
    /// fresh pages for every image; one per concurrent call.
    private let buffers = Mutex<[[Float]]>([])

    /// Checks that the session looks like a YOLOv8 detection export: one float input
    /// `[1 or N, 3, H, W]` and a float output `[1 or N, 4 + classes, anchors]`.
    /// - Parameter metadata: class names and input size (from the model's own metadata).
    /// - Throws: `Vision.ModelUnavailable` naming what does not fit.
    public init(session: ONNXSession, metadata: ModelMetadata) throws(VisionError) {
        guard let input = session.inputs.first, session.inputs.count == 1, input.elementType == .float,
            input.shape.count == 4, input.shape[1] == 3 || input.shape[1] < 0
        else {
            throw .modelUnavailable(
                "\(session.modelPath): expected one float32 input [N, 3, H, W], got \(session.inputs.map(\.shape))")
        }
        guard let output = session.outputs.first, output.elementType == .float, output.shape.count == 3,
            output.shape[1] < 0 || output.shape[1] >= 5
        else {
            throw .modelUnavailable(
                "\(session.modelPath): expected a float32 output [N, 4+classes, anchors], "
                    + "got \(session.outputs.map(\.shape))"
            )
        }
        // A fixed input size in the graph wins over the metadata (it is what the graph accepts).
        let height = input.shape[2] > 0 ? Int(input.shape[2]) : metadata.inputHeight
        let width = input.shape[3] > 0 ? Int(input.shape[3]) : metadata.inputWidth
        self.session = session
        inputName = input.name
        outputName = output.name
        preprocessor = YOLOPreprocessor(inputWidth: width, inputHeight: height)
        postprocessor = YOLOPostprocessor(classNames: metadata.classNames)
    }

    public func detect(_ image: PreparedImage, options: DetectionOptions, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> [Detection]
    {
        try detectNow(image, options: options)
    }

    /// The same, synchronously (benchmarks and the warm-up at init).
    public func detectNow(_ image: PreparedImage, options: DetectionOptions) throws(VisionError) -> [Detection] {
        let count = 3 * preprocessor.inputWidth * preprocessor.inputHeight
        var buffer = buffers.withLock { $0.popLast() } ?? [Float](repeating: 0, count: count)
        defer { buffers.withLock { $0.append(buffer) } }
        let shape = [1, 3, preprocessor.inputHeight, preprocessor.inputWidth]
        let result: Result<(ONNXSession.Output, LetterboxGeometry), ONNXError> = buffer.withUnsafeMutableBufferPointer {
            values in
            let geometry = preprocessor.write(image.image, orientation: image.orientation, into: values)
            return Result { () throws(ONNXError) in
                (
                    try session.run(
                        input: inputName, shape: shape, values: UnsafeBufferPointer(values), output: outputName),
                    geometry
                )
            }
        }
        let output: ONNXSession.Output
        let geometry: LetterboxGeometry
        do { (output, geometry) = try result.get() } catch {
            throw .inferenceFailed(error.errorMessage)
        }
        return try postprocessor.detections(
            from: Tensor(shape: output.shape, values: output.values), geometries: [geometry], options: options)[0]
    }
}
