import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardVision
import SwitchyardVisionFunction

/// One function per sub-command; see main.swift for the command line.
enum VisionToolCommands {
    typealias Option = (String) -> String?

    static func read(_ path: String) throws -> [UInt8] {
        try FileReader.read(path, limit: 1 << 30)
    }

    static func intOption(_ option: Option, _ name: String, default value: Int) throws(VisionToolError) -> Int {
        guard let raw = option(name) else { return value }
        guard let parsed = Int(raw) else { throw .usage("\(name) expects an integer, got \(raw)") }
        return parsed
    }

    static func floatOption(_ option: Option, _ name: String, default value: Float) throws(VisionToolError) -> Float {
        guard let raw = option(name) else { return value }
        guard let parsed = Float(raw) else { throw .usage("\(name) expects a number, got \(raw)") }
        return parsed
    }

    static func printJSON(_ value: some Encodable) throws {
        print(String(decoding: try JSON.encode(value), as: UTF8.self))
    }

    // MARK: - decode

    struct DecodeSummary: Encodable {
        var width: Int
        var height: Int
        var format: String
        var orientation: Int
    }

    static func decode(arguments: [String], option: Option) throws {
        guard arguments.count >= 2 else { throw VisionToolError.usage("decode FILE") }
        let limits = DecodeLimits(maxPixels: try intOption(option, "--max-pixels", default: DecodeLimits().maxPixels))
        let decoded = try ImageDecoder.decode(try read(arguments[1]), limits: limits)
        if let out = option("--rgb") {
            let image = decoded.image
            let tensor = Tensor(shape: [image.height, image.width, 3], values: image.pixels.map { Float($0) })
            try FileHandleWriter.write(NPYFormat.encode(tensor), to: out)
        }
        try printJSON(
            DecodeSummary(
                width: decoded.image.width, height: decoded.image.height, format: decoded.format.rawValue,
                orientation: decoded.orientation))
    }

    // MARK: - letterbox

    static func letterbox(arguments: [String], option: Option) throws {
        guard arguments.count >= 2, let out = option("--out") else {
            throw VisionToolError.usage("letterbox FILE --out OUT.npy")
        }
        let size = try intOption(option, "--size", default: 640)
        let image = try ImageDecoder.decode(try read(arguments[1])).image
        let preprocessor = YOLOPreprocessor(inputWidth: size, inputHeight: size)
        if arguments.contains("--rgb") {
            let (boxed, _) = preprocessor.letterboxedImage(image)
            let tensor = Tensor(shape: [size, size, 3], values: boxed.pixels.map { Float($0) })
            try FileHandleWriter.write(NPYFormat.encode(tensor), to: out)
        } else {
            let (tensor, _) = preprocessor.tensor(for: image)
            try FileHandleWriter.write(NPYFormat.encode(tensor), to: out)
        }
        let g = preprocessor.geometry(for: image)
        try printJSON([
            "left": g.left, "top": g.top, "right": g.right, "bottom": g.bottom,
            "resizedWidth": g.resizedWidth, "resizedHeight": g.resizedHeight,
        ])
    }

    // MARK: - nms

    struct NMSRequest: Decodable {
        var boxes: [[Double]]
        var scores: [Float]
        var classIds: [Int]
        var scoreThreshold: Float
        var iouThreshold: Float
        var topK: Int?
    }

    struct NMSResponse: Encodable { var indices: [Int] }

    /// One JSON request per input line, one answer per output line (so a property test pays
    /// the process start once).
    static func nms() throws {
        while let line = readLine() {
            if line.isEmpty { continue }
            let request = try JSON.decode(NMSRequest.self, from: line)
            let boxes = request.boxes.map { NonMaxSuppression.Box(x: $0[0], y: $0[1], width: $0[2], height: $0[3]) }
            let kept = NonMaxSuppression.batched(
                boxes: boxes, scores: request.scores, classIDs: request.classIds,
                scoreThreshold: request.scoreThreshold,
                iouThreshold: request.iouThreshold, topK: request.topK ?? 0)
            try printJSON(NMSResponse(indices: kept))
            fflush(nil)
        }
    }

    // MARK: - postprocess

    static func postprocess(arguments: [String], option: Option) throws {
        guard arguments.count >= 2 else { throw VisionToolError.usage("postprocess OUTPUT.npy --width W --height H") }
        let output = try NPYFormat.decode(try read(arguments[1]))
        let size = try intOption(option, "--size", default: 640)
        let geometry = LetterboxGeometry(
            sourceWidth: try intOption(option, "--width", default: size),
            sourceHeight: try intOption(option, "--height", default: size),
            targetWidth: size, targetHeight: size)
        let options = DetectionOptions(
            confidenceThreshold: try floatOption(option, "--conf", default: 0.25),
            iouThreshold: try floatOption(option, "--iou", default: 0.7),
            maxDetections: try intOption(option, "--max-det", default: 300))
        let detections = try YOLOPostprocessor().detections(from: output, geometries: [geometry], options: options)
        try printJSON(detections[0])
    }

    // MARK: - metadata

    struct MetadataSummary: Encodable {
        var names: [String: String]
        var imgsz: [Int]
    }

    /// Class names and input size as the function reads them from a detector's model file (the
    /// `.onnx` itself, or the metadata JSON `scripts/vision-model-metadata` writes).
    static func metadata(arguments: [String]) throws {
        guard arguments.count >= 2 else { throw VisionToolError.usage("metadata MODEL.onnx|METADATA.json") }
        let path = arguments[1]
        let bytes = try read(path)
        let m =
            path.hasSuffix(".onnx")
            ? try ONNXMetadataReader.read(bytes, source: path) : try ModelMetadata.parse(bytes, source: path)
        try printJSON(
            MetadataSummary(
                names: Dictionary(uniqueKeysWithValues: m.classNames.map { (String($0.key), $0.value) }),
                imgsz: [m.inputHeight, m.inputWidth]))
    }

    // MARK: - invoke

    struct InvokeResult: Encodable {
        var outcome: VisionOutcome
        var peakRSSMegabytes: Double
        var initMilliseconds: Double
    }

    /// Runs the vision function's handler once on a `VisionStepInput` file, configured from the
    /// environment exactly as the function is, and reports the process's peak RSS with the outcome.
    static func invoke(arguments: [String]) async throws {
        guard arguments.count >= 2 else { throw VisionToolError.usage("invoke EVENT.json") }
        let event = try JSON.decode(VisionStepInput.self, from: try read(arguments[1]))
        let clock = ContinuousClock()
        let start = clock.now
        let handler = try await VisionHandler.make(environment: .process)
        let initTime = clock.now - start
        let outcome = await handler.run(
            event, invocationID: "vision-tool", deadline: ContinuousClock.now.advanced(by: .seconds(300)))
        try printJSON(
            InvokeResult(
                outcome: outcome, peakRSSMegabytes: peakRSSMegabytes(), initMilliseconds: milliseconds(initTime)))
    }

    // MARK: - bench

    struct BenchResult: Encodable {
        var iterations: Int
        var decodeMilliseconds: Double
        var letterboxMilliseconds: Double
        var totalMilliseconds: Double
        var postprocessMilliseconds: Double
        var peakRSSMegabytes: Double
    }

    /// Median timings: JPEG bytes → tensor (decode + letterbox), and post-processing of a
    /// `[1, 84, 8400]` output with a realistic candidate count.
    static func bench(arguments: [String], option: Option) throws {
        guard arguments.count >= 2 else { throw VisionToolError.usage("bench FILE [--iterations N]") }
        let iterations = try intOption(option, "--iterations", default: 30)
        let bytes = try read(arguments[1])
        let preprocessor = YOLOPreprocessor()
        var decodeTimes: [Double] = [], letterboxTimes: [Double] = [], totals: [Double] = [], postTimes: [Double] = []
        let clock = ContinuousClock()
        var checksum: Float = 0
        for _ in 0..<iterations {
            let start = clock.now
            let image = try ImageDecoder.decode(bytes).image
            let decoded = clock.now
            let (tensor, _) = preprocessor.tensor(for: image)
            let done = clock.now
            checksum += tensor.values[tensor.values.count / 2]
            decodeTimes.append(milliseconds(decoded - start))
            letterboxTimes.append(milliseconds(done - decoded))
            totals.append(milliseconds(done - start))
        }
        let output = syntheticOutput()
        let geometry = LetterboxGeometry(sourceWidth: 1920, sourceHeight: 1080, targetWidth: 640, targetHeight: 640)
        let postprocessor = YOLOPostprocessor()
        for _ in 0..<max(iterations, 100) {
            let start = clock.now
            let detections = try postprocessor.detections(from: output, geometries: [geometry])
            postTimes.append(milliseconds(clock.now - start))
            checksum += Float(detections[0].count)
        }
        if checksum.isNaN { print("") }
        try printJSON(
            BenchResult(
                iterations: iterations, decodeMilliseconds: median(decodeTimes),
                letterboxMilliseconds: median(letterboxTimes),
                totalMilliseconds: median(totals), postprocessMilliseconds: median(postTimes),
                peakRSSMegabytes: peakRSSMegabytes()))
    }

    /// A deterministic `[1, 84, 8400]` output: boxes spread over the input, low scores except
    /// ~300 anchors in a few overlapping clusters (a busy street scene's candidate count).
    static func syntheticOutput() -> Tensor {
        let anchors = 8400, rows = 84
        var values = [Float](repeating: 0, count: rows * anchors)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(state >> 40) / Float(1 << 24)
        }
        for i in 0..<anchors {
            values[i] = next() * 640
            values[anchors + i] = next() * 640
            values[2 * anchors + i] = 10 + next() * 200
            values[3 * anchors + i] = 10 + next() * 200
            for c in 0..<80 { values[(4 + c) * anchors + i] = next() * 0.1 }
            if i % 28 == 0 {
                let cluster = Float(i % 10)
                values[i] = 50 + cluster * 50 + next() * 8
                values[anchors + i] = 80 + cluster * 40 + next() * 8
                values[(4 + (i / 28) % 80) * anchors + i] = 0.3 + next() * 0.7
            }
        }
        return Tensor(shape: [1, rows, anchors], values: values)
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) * 1000 + Double(attoseconds) / 1e15
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func peakRSSMegabytes() -> Double {
        var usage = rusage()
        getrusage(Int32(RUSAGE_SELF.rawValue), &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
