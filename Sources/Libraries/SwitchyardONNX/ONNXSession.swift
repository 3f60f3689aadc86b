import COnnxRuntime
import SwitchyardCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One loaded model, created once at init and run for every request: inputs and outputs are
/// addressed by name, and tensors are passed without copies (the input buffer is the caller's,
/// the output is copied once into a Swift array).
///
/// `run` is safe to call from several tasks at once (onnxruntime's `Run` is thread-safe); each
/// call uses the session's own thread pool of `Options.intraOpThreads` threads.
public final class ONNXSession: @unchecked Sendable {
    /// Element types Switchyard passes and reads (onnxruntime's `ONNXTensorElementDataType`).
    public enum ElementType: Int32, Sendable {
        case float = 1
        case uint8 = 2
        case int64 = 7
        case other = -1

        init(code: Int32) { self = ElementType(rawValue: code) ?? .other }

        var byteWidth: Int {
            switch self {
            case .float: 4
            case .uint8: 1
            case .int64: 8
            case .other: 0
            }
        }
    }

    /// A graph input or output: name, element type and shape (-1 where the model leaves a
    /// dimension symbolic, such as a dynamic batch).
    public struct TensorInfo: Sendable, Equatable {
        public var name: String
        public var elementType: ElementType
        public var shape: [Int64]
    }

    /// How a session runs.
    public struct Options: Sendable, Equatable {
        /// Threads inside one operator (onnxruntime's intra-op pool; 1 runs on the calling thread).
        public var intraOpThreads: Int
        /// Let pool threads spin between operators: lower latency, but burns the CPU a 1-vCPU
        /// function needs for the rest of the request. Off by default.
        public var allowSpinning: Bool

        public init(intraOpThreads: Int = 1, allowSpinning: Bool = false) {
            self.intraOpThreads = intraOpThreads
            self.allowSpinning = allowSpinning
        }
    }

    public let inputs: [TensorInfo]
    public let outputs: [TensorInfo]
    public let modelPath: String
    public let options: Options
    private let session: OpaquePointer
    private let memoryInfo: OpaquePointer
    /// Keeps the library and environment alive as long as the session.
    private let runtime: ONNXRuntime

    /// Opens `modelPath` (sequential execution, every graph optimisation on).
    /// - Throws: `ONNX.InvalidModel` for a missing, unreadable or invalid file.
    public init(modelPath: String, runtime: ONNXRuntime, options: Options = Options()) throws(ONNXError) {
        guard access(modelPath, R_OK) == 0 else {
            throw .invalidModel(path: modelPath, detail: String(cString: strerror(errno)))
        }
        var sessionOptions: OpaquePointer?
        try ONNXRuntime.check(sy_ort_create_session_options(&sessionOptions)) { .runFailed($0) }
        defer { sy_ort_release_session_options(sessionOptions) }
        let configure: [OpaquePointer?] = [
            sy_ort_set_intra_op_threads(sessionOptions, Int32(max(1, options.intraOpThreads))),
            sy_ort_set_inter_op_threads(sessionOptions, 1),
            sy_ort_set_execution_mode(sessionOptions, Int32(SY_ORT_SEQUENTIAL)),
            sy_ort_set_optimization_level(sessionOptions, Int32(SY_ORT_ENABLE_ALL)),
            sy_ort_set_log_severity(sessionOptions, Int32(SY_ORT_LOGGING_ERROR)),
            sy_ort_add_config_entry(
                sessionOptions, "session.intra_op.allow_spinning", options.allowSpinning ? "1" : "0"),
        ]
        for status in configure { try ONNXRuntime.check(status) { .runFailed("session options: \($0)") } }
        var session: OpaquePointer?
        try ONNXRuntime.check(sy_ort_create_session(runtime.env, modelPath, sessionOptions, &session)) {
            .invalidModel(path: modelPath, detail: $0)
        }
        guard let session else { throw .invalidModel(path: modelPath, detail: "no session") }
        var memoryInfo: OpaquePointer?
        let status = sy_ort_create_cpu_memory_info(&memoryInfo)
        guard status == nil, let memoryInfo else {
            sy_ort_release_session(session)
            try ONNXRuntime.check(status) { .runFailed($0) }
            throw .runFailed("no memory info")
        }
        do {
            inputs = try Self.describe(session, input: true)
            outputs = try Self.describe(session, input: false)
        } catch {
            sy_ort_release_memory_info(memoryInfo)
            sy_ort_release_session(session)
            throw error
        }
        self.session = session
        self.memoryInfo = memoryInfo
        self.runtime = runtime
        self.modelPath = modelPath
        self.options = options
    }

    deinit {
        sy_ort_release_memory_info(memoryInfo)
        sy_ort_release_session(session)
    }

    private static func describe(_ session: OpaquePointer, input: Bool) throws(ONNXError) -> [TensorInfo] {
        var count = 0
        try ONNXRuntime.check(
            input ? sy_ort_session_input_count(session, &count) : sy_ort_session_output_count(session, &count)
        ) { .unsupportedModel($0) }
        var infos: [TensorInfo] = []
        for index in 0..<count {
            var name = [CChar](repeating: 0, count: 256)
            try ONNXRuntime.check(
                input
                    ? sy_ort_session_input_name(session, index, &name, name.count)
                    : sy_ort_session_output_name(session, index, &name, name.count)
            ) { .unsupportedModel($0) }
            var elementType: Int32 = 0
            var dims = [Int64](repeating: 0, count: 16)
            var rank = 0
            try ONNXRuntime.check(
                input
                    ? sy_ort_session_input_shape(session, index, &elementType, &dims, dims.count, &rank)
                    : sy_ort_session_output_shape(session, index, &elementType, &dims, dims.count, &rank)
            ) { .unsupportedModel($0) }
            guard rank <= dims.count else { throw .unsupportedModel("a tensor of rank \(rank)") }
            infos.append(
                TensorInfo(
                    name: name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) },
                    elementType: ElementType(code: elementType), shape: Array(dims[0..<rank])))
        }
        return infos
    }

    /// A float32 output: its shape and values.
    public struct Output: Sendable {
        public var shape: [Int]
        public var values: [Float]
    }

    /// Runs the graph on one float32 input and returns one float32 output.
    /// - Parameters:
    ///   - input: the input's name; its declared rank and fixed dimensions must match `shape`.
    ///   - values: `shape`'s product of floats, read in place (not copied) during the call.
    ///   - output: the output's name.
    /// - Throws: `ONNX.InvalidInput` for an unknown name or a mismatched shape, `ONNX.RunFailed`.
    public func run(input: String, shape: [Int], values: UnsafeBufferPointer<Float>, output: String)
        throws(ONNXError) -> Output
    {
        guard let info = inputs.first(where: { $0.name == input }) else {
            throw .invalidInput("the model has no input \(input); it has \(inputs.map(\.name))")
        }
        guard info.elementType == .float else { throw .invalidInput("input \(input) is not float32") }
        try Self.check(shape: shape, against: info)
        guard shape.reduce(1, *) == values.count else {
            throw .invalidInput("\(values.count) values for shape \(shape)")
        }
        guard outputs.contains(where: { $0.name == output }) else {
            throw .invalidInput("the model has no output \(output); it has \(outputs.map(\.name))")
        }
        return try runRaw(
            input: input, shape: shape, elementType: .float,
            bytes: UnsafeRawBufferPointer(values), output: output)
    }

    static func check(shape: [Int], against info: TensorInfo) throws(ONNXError) {
        guard shape.count == info.shape.count else {
            throw .invalidInput("input \(info.name) has rank \(info.shape.count), got shape \(shape)")
        }
        for (given, declared) in zip(shape, info.shape) where given <= 0 || (declared > 0 && Int64(given) != declared) {
            throw .invalidInput("input \(info.name) has shape \(info.shape), got \(shape)")
        }
    }

    private func runRaw(
        input: String, shape: [Int], elementType: ElementType, bytes: UnsafeRawBufferPointer, output: String
    ) throws(ONNXError) -> Output {
        let dims = shape.map { Int64($0) }
        var value: OpaquePointer?
        // onnxruntime never writes into an input tensor; the C API just takes a non-const pointer.
        let data = UnsafeMutableRawPointer(mutating: bytes.baseAddress)
        try ONNXRuntime.check(
            sy_ort_create_tensor(memoryInfo, data, bytes.count, dims, dims.count, elementType.rawValue, &value)
        ) { .invalidInput($0) }
        defer { sy_ort_release_value(value) }
        var result: OpaquePointer?
        let status = input.withCString { inputName in
            output.withCString { outputName in
                var inputNames: [UnsafePointer<CChar>?] = [inputName]
                var outputNames: [UnsafePointer<CChar>?] = [outputName]
                var inputValues: [OpaquePointer?] = [value]
                return sy_ort_run(session, &inputNames, &inputValues, 1, &outputNames, 1, &result)
            }
        }
        try ONNXRuntime.check(status) { .runFailed($0) }
        defer { sy_ort_release_value(result) }
        var outputType: Int32 = 0
        var outDims = [Int64](repeating: 0, count: 16)
        var rank = 0
        var count = 0
        var pointer: UnsafeMutableRawPointer?
        try ONNXRuntime.check(
            sy_ort_tensor_contents(result, &outputType, &outDims, outDims.count, &rank, &count, &pointer)
        ) { .runFailed($0) }
        guard ElementType(code: outputType) == .float else {
            throw .unsupportedModel("output \(output) is not float32")
        }
        guard rank <= outDims.count, let pointer else {
            throw .unsupportedModel("output \(output) has rank \(rank)")
        }
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            if count > 0 {
                buffer.baseAddress!.initialize(from: pointer.assumingMemoryBound(to: Float.self), count: count)
            }
            initialized = count
        }
        return Output(shape: outDims[0..<rank].map { Int($0) }, values: values)
    }
}
