/// One model of the catalog: who serves it, where it lives, what it accepts, how fast and how
/// good it is. Prices are not here: they live in the rates table (`infra/rates.json`), the one
/// price source for estimates and bills.
///
/// The catalog is configuration, loaded by each function from its bundle: endpoints, regions and
/// credential names come from here (and the deployment's environment), never from an event.
public struct CatalogModel: Sendable, Equatable {
    public var id: ModelID
    public var provider: ProviderID
    public var kind: BackendKind
    /// The name the provider knows the model by; defaults to `id`.
    public var providerModel: String?
    /// Base URL (LLM and embedding providers), SageMaker endpoint name (`sagemaker`) or
    /// `/invocations` URL (`container`); nil uses the function's configured default for the provider.
    public var endpoint: String?
    /// AWS region (Bedrock, SageMaker); nil uses the function's region.
    public var region: String?
    /// Name of the key in the provider-keys secret (or environment) this model authenticates with;
    /// nil uses the provider's default (`OPENAI_API_KEY`, `ANTHROPIC_API_KEY`, none).
    public var credential: String?
    /// Prompt plus output tokens the model accepts; 0 for models that take no text.
    public var contextWindow: Int
    /// Most output tokens in one answer, when the provider limits it below the window.
    public var maxOutputTokens: Int?
    public var capabilities: [ModelCapability]
    public var latency: LatencyPrior
    /// Quality per category (`TaskCategory` raw values), 0...1; a category without a score is one
    /// the model cannot serve. Frozen and versioned with the catalog.
    public var quality: [String: Double]
    /// Tiers allowed to use this model.
    public var tiers: [String]
    /// How the model's compute is billed, when it is not a per-token API.
    public var compute: ComputeSpec?
    /// Detector settings (`kind == .vision`).
    public var detector: DetectorSpec?

    public init(
        id: ModelID, provider: ProviderID, kind: BackendKind, providerModel: String? = nil, endpoint: String? = nil,
        region: String? = nil, credential: String? = nil, contextWindow: Int, maxOutputTokens: Int? = nil,
        capabilities: [ModelCapability] = [], latency: LatencyPrior, quality: [String: Double], tiers: [String],
        compute: ComputeSpec? = nil, detector: DetectorSpec? = nil
    ) {
        self.id = id
        self.provider = provider
        self.kind = kind
        self.providerModel = providerModel
        self.endpoint = endpoint
        self.region = region
        self.credential = credential
        self.contextWindow = contextWindow
        self.maxOutputTokens = maxOutputTokens
        self.capabilities = capabilities
        self.latency = latency
        self.quality = quality
        self.tiers = tiers
        self.compute = compute
        self.detector = detector
    }

    public var resolvedProviderModel: String { providerModel ?? id.rawValue }
    public func quality(for category: TaskCategory) -> Double? { quality[category.rawValue] }
}

/// Latency priors, used until live signals have enough samples for the model.
public struct LatencyPrior: Sendable, Equatable {
    /// Time to first token; for LLMs the fixed part of a call.
    public var ttftMs: Int?
    /// Median end-to-end latency of a typical call.
    public var p50Ms: Int
    /// 95th percentile end-to-end latency of a typical call; sets the per-attempt timeout.
    public var p95Ms: Int
    /// Decode speed; when present, latency is estimated as TTFT plus output tokens at this rate.
    public var outputTokensPerSecond: Int?

    public init(ttftMs: Int? = nil, p50Ms: Int, p95Ms: Int, outputTokensPerSecond: Int? = nil) {
        self.ttftMs = ttftMs
        self.p50Ms = p50Ms
        self.p95Ms = p95Ms
        self.outputTokensPerSecond = outputTokensPerSecond
    }
}

/// How a non-API model's compute is billed: `endpoint` (an always-on instance, amortised per
/// busy millisecond), `lambda` (the vision function's own GB-seconds) or `fargate` (a task's
/// vCPU and memory for the call's duration).
public struct ComputeSpec: Sendable, Equatable {
    public var kind: String
    public var instanceType: String?
    public var milliVCPU: Int64?
    public var memoryMB: Int64?
    /// `x86_64` or `arm64` (Fargate and Lambda prices differ by architecture); nil means `x86_64`.
    public var architecture: String?

    public init(
        kind: String, instanceType: String? = nil, milliVCPU: Int64? = nil, memoryMB: Int64? = nil,
        architecture: String? = nil
    ) {
        self.kind = kind
        self.instanceType = instanceType
        self.milliVCPU = milliVCPU
        self.memoryMB = memoryMB
        self.architecture = architecture
    }

    /// The whole vCPUs a Lambda function of `memoryMB` can keep busy: Lambda gives one full vCPU
    /// per 1,769 MB (up to 6 at 10,240 MB); rounded to the nearest, at least 1. The vision function
    /// runs that many inference threads, and the detector priors come from the measurement at it.
    public static func lambdaVCPUs(memoryMB: Int) -> Int {
        let vcpus = (Double(max(memoryMB, 0)) / 1769).rounded()
        return max(1, min(Int(vcpus), 6))
    }
}

/// A detector's model facts (class names and input size come from the model's own metadata
/// when the function has the model file).
public struct DetectorSpec: Sendable, Equatable {
    /// Model input side in pixels (640 for YOLOv8).
    public var inputSize: Int?
    /// The `.onnx` file (in-process, required there) or, for remote detectors, the `.onnx` or a
    /// metadata JSON (`scripts/vision-model-metadata`) for class names: a path relative to the
    /// bundle, or `s3://bucket/key` (fetched once at init and cached under `/tmp`).
    public var modelFile: String?
    public var classNames: [String]?
    /// What a remote detector is sent: `npy` (default: the letterboxed image as a uint8 `.npy`,
    /// raw output back, pre/post-processing here) or `hosting-sample` (a base64 JPEG in, boxes
    /// JSON out: AWS's "Hosting YOLOv8 on SageMaker" sample endpoint).
    public var wireFormat: String?

    public init(
        inputSize: Int? = nil, modelFile: String? = nil, classNames: [String]? = nil, wireFormat: String? = nil
    ) {
        self.inputSize = inputSize
        self.modelFile = modelFile
        self.classNames = classNames
        self.wireFormat = wireFormat
    }
}
