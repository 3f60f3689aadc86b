import SwitchyardContract
import SwitchyardCore

/// The learned classifier: hashed byte and word n-grams into two linear softmax heads (category,
/// difficulty), trained by `scripts/train-router`. Microseconds per prompt, no allocation per
/// feature, and it reads at most the model's `max_bytes` (2 KB) of the prompt.
///
/// Its confidence is the calibrated probability of the chosen category (temperature fitted on the
/// validation split), so a policy threshold reads as "how often is this verdict right".
public struct NGramClassifier: TaskClassifier {
    public let model: NGramModel

    public init(model: NGramModel) { self.model = model }

    /// Loads a model file and checks it is the version the policy expects (`NGramModel.load` says
    /// when the checksum may be skipped).
    /// - Throws: `ClassifierModelError` (`Router.InvalidClassifier`).
    public static func load(path: String, expectedVersion: String?, verifyingChecksum: Bool = true)
        throws(ClassifierModelError) -> NGramClassifier
    {
        let model = try NGramModel.load(path: path, verifyingChecksum: verifyingChecksum)
        if let expectedVersion, model.version != expectedVersion {
            throw .versionMismatch(path: path, expected: expectedVersion, found: model.version)
        }
        return NGramClassifier(model: model)
    }

    /// Probabilities in the model's label order (`model.categories`, `model.difficulties`).
    public struct Prediction: Sendable, Equatable {
        public var categories: [Double]
        public var difficulties: [Double]
    }

    public func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification {
        classify(input)
    }

    /// The synchronous form the router, the evaluation and the benchmark call.
    public func classify(_ input: ClassificationInput) -> Classification {
        let p = predict(text: input.text, imageCount: input.imageCount)
        var best = 0
        for i in 1..<p.categories.count where p.categories[i] > p.categories[best] { best = i }
        var hardest = 0
        for i in 1..<p.difficulties.count where p.difficulties[i] > p.difficulties[hardest] { hardest = i }
        return Classification(
            category: model.categories[best], difficulty: model.difficulties[hardest],
            confidence: (p.categories[best] * 1000).rounded() / 1000, classifier: "learned")
    }

    public func predict(text: String, imageCount: Int) -> Prediction {
        var text = text
        let totalBytes = text.utf8.count
        let (sum, count) = text.withUTF8 { bytes -> (SIMD16<Float>, Int) in
            switch model.weights {
            case .int8(let file, let offset, let scales):
                // Int32 cannot overflow: at most 4 features per byte of 64 KiB, each |w| <= 127.
                // `file` owns the mapping; keep it alive across the loads.
                withExtendedLifetime(file) { () -> (SIMD16<Float>, Int) in
                    let table = file.bytes.baseAddress! + offset
                    var sum = SIMD16<Int32>()
                    let count = model.features.forEachBucket(bytes) {
                        sum &+= SIMD16<Int32>(
                            truncatingIfNeeded: table.loadUnaligned(
                                fromByteOffset: $0 &* NGramModel.stride, as: SIMD16<Int8>.self))
                    }
                    return (SIMD16<Float>(sum) * scales, count)
                }
            case .float32(let table):
                table.withUnsafeBufferPointer { table -> (SIMD16<Float>, Int) in
                    var sum = SIMD16<Float>()
                    let count = model.features.forEachBucket(bytes) { sum += table[$0] }
                    return (sum, count)
                }
            }
        }
        var lengthBucket = model.lengthBounds.count
        for (i, bound) in model.lengthBounds.enumerated() where totalBytes <= bound {
            lengthBucket = i
            break
        }
        var z = model.bias + model.meta[imageCount > 0 ? 1 : 0] + model.meta[2 + lengthBucket]
        if count > 0 { z += sum * Float(pow(Double(count), -model.alpha)) }
        let c = NGramModel.categoryCount
        return Prediction(
            categories: Self.softmax((0..<c).map { Double(z[$0]) / model.temperature }),
            difficulties: Self.softmax((c..<(c + 3)).map { Double(z[$0]) }))
    }

    static func softmax(_ logits: [Double]) -> [Double] {
        let top = logits.max() ?? 0
        let e = logits.map { exp($0 - top) }
        let total = e.reduce(0, +)
        return e.map { $0 / total }
    }
}
