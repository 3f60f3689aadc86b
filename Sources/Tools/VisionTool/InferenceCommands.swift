import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardONNX
import SwitchyardVision
import SwitchyardVisionFunction

#if canImport(Glibc)
    import Glibc
#endif

/// In-process inference on files: `detect` for the reference tests, `bench-inference` for
/// scripts/bench-vision.
enum InferenceCommands {
    typealias Option = (String) -> String?

    struct Loaded {
        var backend: InProcessBackend
        var loadTime: Duration
        var firstRunTime: Duration
        var version: String
    }

    /// onnxruntime, the session and one warm-up run, timed as the function's init does them.
    static func load(model: String, threads: Int) throws -> Loaded {
        let clock = ContinuousClock()
        let start = clock.now
        let runtime = try ONNXRuntime.load(environment: .process)
        let session = try ONNXSession(modelPath: model, runtime: runtime, options: .init(intraOpThreads: threads))
        let metadata = try ONNXMetadataReader.read(try FileReader.read(model, limit: 1 << 30), source: model)
        let backend = try InProcessBackend(session: session, metadata: metadata)
        let loaded = clock.now
        _ = try backend.detectNow(
            PreparedImage(
                image: RGBImage(width: 64, height: 48, red: 114, green: 114, blue: 114), orientation: 1, format: .png),
            options: DetectionOptions())
        return Loaded(
            backend: backend, loadTime: loaded - start, firstRunTime: clock.now - loaded, version: runtime.version)
    }

    static func options(_ option: Option) throws -> DetectionOptions {
        DetectionOptions(
            confidenceThreshold: try VisionToolCommands.floatOption(option, "--conf", default: 0.25),
            iouThreshold: try VisionToolCommands.floatOption(option, "--iou", default: 0.7),
            maxDetections: try VisionToolCommands.intOption(option, "--max-det", default: 300))
    }

    static func prepare(_ path: String) throws -> PreparedImage {
        let decoded = try ImageDecoder.decode(try VisionToolCommands.read(path), applyOrientation: false)
        return PreparedImage(image: decoded.image, orientation: decoded.orientation, format: decoded.format)
    }

    // MARK: - detect

    /// `detect MODEL.onnx IMAGE [--threads N] [--conf C] [--iou I] [--max-det K]`: the in-process
    /// backend's detections for one image file.
    static func detect(arguments: [String], option: Option) throws {
        guard arguments.count >= 3 else { throw VisionToolError.usage("detect MODEL.onnx IMAGE") }
        let loaded = try load(
            model: arguments[1], threads: try VisionToolCommands.intOption(option, "--threads", default: 1))
        let detections = try loaded.backend.detectNow(try prepare(arguments[2]), options: try options(option))
        try VisionToolCommands.printJSON(detections)
    }

    // MARK: - bench-inference

    struct ImageTiming: Encodable {
        var file: String
        var width: Int
        var height: Int
        var detections: Int
        var decodeMilliseconds: Double
        /// Letterbox + normalise into the input buffer.
        var letterboxMilliseconds: Double
        /// onnxruntime's Run on the prepared tensor, through this binding.
        var runMilliseconds: Double
        var postprocessMilliseconds: Double
        /// Letterbox + run + post-process, end to end (what a request pays after decoding).
        var totalMilliseconds: Double
        /// Every timed end-to-end run (for tail percentiles across images).
        var totalSamplesMilliseconds: [Double]
    }

    struct BenchResult: Encodable {
        var onnxruntime: String
        var threads: Int
        var iterations: Int
        var loadMilliseconds: Double
        var firstRunMilliseconds: Double
        var rssAfterInitMegabytes: Double
        var images: [ImageTiming]
        var medianRunMilliseconds: Double
        var medianTotalMilliseconds: Double
        var peakRSSMegabytes: Double
    }

    /// `bench-inference MODEL.onnx IMAGE... [--threads N] [--iterations K]`: medians per image of
    /// the whole in-process pipeline and of the bare run on the same tensor, interleaved. Every
    /// timed run is checked: the output must have the model's shape and the detections must be
    /// the same in every iteration; a failure ends the benchmark with an error, never a time.
    static func benchInference(arguments: [String], option: Option) throws {
        let files = arguments.dropFirst(2).filter { !$0.hasPrefix("--") && !isOptionValue($0, arguments) }
        guard arguments.count >= 3, !files.isEmpty else {
            throw VisionToolError.usage("bench-inference MODEL.onnx IMAGE... [--threads N] [--iterations K]")
        }
        let threads = try VisionToolCommands.intOption(option, "--threads", default: 1)
        let iterations = try VisionToolCommands.intOption(option, "--iterations", default: 20)
        let loaded = try load(model: arguments[1], threads: threads)
        let rssAfterInit = residentMegabytes()
        let backend = loaded.backend
        let pre = backend.preprocessor
        let options = DetectionOptions()
        let clock = ContinuousClock()
        var timings: [ImageTiming] = []
        for file in files {
            // One image at a time, as the function works: decode, measure, drop.
            var decodeTimes: [Double] = []
            var image = try prepare(file)
            for _ in 0..<3 {
                let t = clock.now
                image = try prepare(file)
                decodeTimes.append((clock.now - t).fractionalMilliseconds)
            }
            let expected = try backend.detectNow(image, options: options)
            var tensor = [Float](repeating: 0, count: 3 * pre.inputWidth * pre.inputHeight)
            let shape = [1, 3, pre.inputHeight, pre.inputWidth]
            var letterbox: [Double] = [], run: [Double] = [], post: [Double] = [], total: [Double] = []
            for _ in 0..<iterations {
                // The whole pipeline.
                let t0 = clock.now
                let found = try backend.detectNow(image, options: options)
                total.append((clock.now - t0).fractionalMilliseconds)
                guard found == expected else { throw VisionToolError.io("detections changed between runs on \(file)") }
                // Its stages, on the same tensor.
                let t1 = clock.now
                let geometry = tensor.withUnsafeMutableBufferPointer {
                    pre.write(image.image, orientation: image.orientation, into: $0)
                }
                let t2 = clock.now
                let output = try tensor.withUnsafeBufferPointer {
                    try backend.session.run(
                        input: backend.inputName, shape: shape, values: $0, output: backend.outputName)
                }
                let t3 = clock.now
                let again = try backend.postprocessor.detections(
                    from: Tensor(shape: output.shape, values: output.values), geometries: [geometry], options: options)
                let t4 = clock.now
                guard again[0] == expected else { throw VisionToolError.io("staged run disagrees on \(file)") }
                letterbox.append((t2 - t1).fractionalMilliseconds)
                run.append((t3 - t2).fractionalMilliseconds)
                post.append((t4 - t3).fractionalMilliseconds)
            }
            let size = image.uprightSize
            timings.append(
                ImageTiming(
                    file: file, width: size.width, height: size.height, detections: expected.count,
                    decodeMilliseconds: VisionToolCommands.median(decodeTimes),
                    letterboxMilliseconds: VisionToolCommands.median(letterbox),
                    runMilliseconds: VisionToolCommands.median(run),
                    postprocessMilliseconds: VisionToolCommands.median(post),
                    totalMilliseconds: VisionToolCommands.median(total), totalSamplesMilliseconds: total))
        }
        try VisionToolCommands.printJSON(
            BenchResult(
                onnxruntime: loaded.version,
                threads: threads, iterations: iterations,
                loadMilliseconds: loaded.loadTime.fractionalMilliseconds,
                firstRunMilliseconds: loaded.firstRunTime.fractionalMilliseconds,
                rssAfterInitMegabytes: rssAfterInit,
                images: timings, medianRunMilliseconds: VisionToolCommands.median(timings.map(\.runMilliseconds)),
                medianTotalMilliseconds: VisionToolCommands.median(timings.map(\.totalMilliseconds)),
                peakRSSMegabytes: VisionToolCommands.peakRSSMegabytes()))
    }

    // MARK: - bench-postprocess

    struct PostprocessBench: Encodable {
        var iterations: Int
        var medianMilliseconds: Double
        var detections: [Detection]
    }

    /// `bench-postprocess OUTPUT.npy --width W --height H [--iterations N]`: post-processing of a
    /// given raw output (the same file the Python reference times), median of N runs; every run's
    /// detections must equal the first's.
    static func benchPostprocess(arguments: [String], option: Option) throws {
        guard arguments.count >= 2 else {
            throw VisionToolError.usage("bench-postprocess OUTPUT.npy --width W --height H [--iterations N]")
        }
        let output = try NPYFormat.decode(try VisionToolCommands.read(arguments[1]))
        let iterations = try VisionToolCommands.intOption(option, "--iterations", default: 50)
        let size = try VisionToolCommands.intOption(option, "--size", default: 640)
        let geometry = LetterboxGeometry(
            sourceWidth: try VisionToolCommands.intOption(option, "--width", default: size),
            sourceHeight: try VisionToolCommands.intOption(option, "--height", default: size),
            targetWidth: size, targetHeight: size)
        let postprocessor = YOLOPostprocessor()
        let clock = ContinuousClock()
        let first = try postprocessor.detections(from: output, geometries: [geometry])[0]
        var times: [Double] = []
        for _ in 0..<iterations {
            let start = clock.now
            let found = try postprocessor.detections(from: output, geometries: [geometry])[0]
            times.append((clock.now - start).fractionalMilliseconds)
            guard found == first else { throw VisionToolError.io("post-processing changed between runs") }
        }
        try VisionToolCommands.printJSON(
            PostprocessBench(
                iterations: iterations, medianMilliseconds: VisionToolCommands.median(times), detections: first))
    }

    private static func isOptionValue(_ value: String, _ arguments: [String]) -> Bool {
        guard let index = arguments.firstIndex(of: value), index > 0 else { return false }
        return arguments[index - 1].hasPrefix("--")
    }

    /// Current resident set size (VmRSS), MB.
    static func residentMegabytes() -> Double {
        guard let bytes = try? FileReader.read("/proc/self/status", limit: 1 << 16) else { return 0 }
        let text = String(decoding: bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.split(separator: " ").compactMap { Double($0) }
            return (digits.first ?? 0) / 1024
        }
        return 0
    }
}
