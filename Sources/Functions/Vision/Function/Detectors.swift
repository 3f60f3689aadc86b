import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardONNX
import SwitchyardVision

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// One detector of the catalog, ready to run: its catalog entry, the backend its provider
/// selects, and the compute its usage records report.
public struct Detector: Sendable {
    public var model: CatalogModel
    public var backend: any DetectionBackend
    /// The compute a call is billed as (`durationMs` filled per record).
    public var compute: UsageRecord.Compute

    public init(model: CatalogModel, backend: any DetectionBackend, compute: UsageRecord.Compute) {
        self.model = model
        self.backend = backend
        self.compute = compute
    }
}

/// Every detector the catalog lists, built once at init: provider `lambda` runs in this process
/// (its model opened now: a missing or corrupt model is an init error), `sagemaker` calls the
/// SageMaker endpoint the entry names (SigV4), `container` posts to the entry's URL.
public struct Detectors: Sendable {
    public var byID: [ModelID: Detector]
    /// Bytes of the in-process models' files (the memory caps leave room for them).
    public var inProcessModelBytes: Int

    public init(byID: [ModelID: Detector], inProcessModelBytes: Int = 0) {
        self.byID = byID
        self.inProcessModelBytes = inProcessModelBytes
    }

    public subscript(id: ModelID) -> Detector? { byID[id] }

    /// - Throws: `Vision.ModelUnavailable` (missing, corrupt or non-YOLOv8 model),
    ///   `ONNX.LibraryUnavailable`, `Config.Missing`/`Config.InvalidDocument` for an entry that
    ///   lacks what its provider needs.
    public static func load(
        _ configuration: VisionConfiguration, transport: any HTTPTransport, modelFiles: ModelFiles
    ) async throws -> Detectors {
        let deadline = ContinuousClock.now.advanced(by: .seconds(120))
        var byID: [ModelID: Detector] = [:]
        var inProcessBytes = 0
        for model in configuration.visionModels {
            func invalid(_ detail: String) -> ConfigurationError {
                .invalidDocument(source: configuration.catalogSource, detail: "\(model.id): \(detail)")
            }
            switch model.provider {
            case .lambda:
                guard let file = model.detector?.modelFile else {
                    throw invalid("an in-process detector needs detector.modelFile")
                }
                let path = try await modelFiles.path(for: file, deadline: deadline)
                let metadata = try overriding(try onnxMetadata(path), with: model.detector)
                let runtime = try ONNXRuntime.load(environment: configuration.environment)
                let session: ONNXSession
                do {
                    session = try ONNXSession(
                        modelPath: path, runtime: runtime, options: .init(intraOpThreads: configuration.threads))
                } catch {
                    throw VisionError.modelUnavailable("\(model.id): \(error.errorMessage)")
                }
                let backend = try InProcessBackend(session: session, metadata: metadata)
                if configuration.warmUp { try warm(backend, model: model.id) }
                var info = stat()
                if stat(path, &info) == 0 { inProcessBytes += Int(info.st_size) }
                byID[model.id] = Detector(
                    model: model, backend: backend,
                    compute: .init(
                        kind: "lambda", architecture: configuration.architecture,
                        memoryMB: Int64(configuration.memoryMB),
                        durationMs: 0))
            case .sagemaker:
                guard let name = model.endpoint, !name.isEmpty else {
                    throw invalid("a SageMaker detector needs endpoint")
                }
                guard let region = model.region ?? configuration.region else {
                    throw ConfigurationError.missing(variable: "AWS_REGION")
                }
                guard let credentials = configuration.credentials else {
                    throw ConfigurationError.missing(variable: "AWS_ACCESS_KEY_ID")
                }
                let client = EndpointClient(
                    url: EndpointClient.sageMakerURL(
                        endpointName: name, region: region, environment: configuration.environment),
                    transport: transport,
                    signer: SigV4Signer(credentials: credentials, region: region, service: "sagemaker"),
                    backendName: "sagemaker")
                byID[model.id] = Detector(
                    model: model,
                    backend: try await remoteBackend(model, client: client, modelFiles: modelFiles, deadline: deadline),
                    compute: .init(kind: "endpoint", instanceType: model.compute?.instanceType, durationMs: 0))
            case .container:
                guard let url = model.endpoint, HTTPURL(url) != nil else {
                    throw invalid("a container detector needs an http(s) endpoint URL")
                }
                let client = EndpointClient(url: url, transport: transport, signer: nil, backendName: "container")
                byID[model.id] = Detector(
                    model: model,
                    backend: try await remoteBackend(model, client: client, modelFiles: modelFiles, deadline: deadline),
                    compute: .init(
                        kind: "fargate", architecture: model.compute?.architecture ?? "x86_64",
                        memoryMB: model.compute?.memoryMB, milliVCPU: model.compute?.milliVCPU, durationMs: 0))
            default:
                continue  // a vision-capable LLM, say: not a detector this function runs
            }
        }
        return Detectors(byID: byID, inProcessModelBytes: inProcessBytes)
    }

    private static func remoteBackend(
        _ model: CatalogModel, client: EndpointClient, modelFiles: ModelFiles, deadline: ContinuousClock.Instant
    ) async throws -> any DetectionBackend {
        var metadata = ModelMetadata()
        if let file = model.detector?.modelFile {
            let bytes = try await modelFiles.bytes(for: file, deadline: deadline)
            metadata =
                file.hasSuffix(".onnx")
                ? try ONNXMetadataReader.read(bytes, source: file) : try ModelMetadata.parse(bytes, source: file)
        }
        metadata = try overriding(metadata, with: model.detector)
        switch model.detector?.wireFormat ?? "npy" {
        case "npy":
            return TensorEndpointBackend(
                name: model.provider.rawValue, client: client,
                preprocessor: YOLOPreprocessor(inputWidth: metadata.inputWidth, inputHeight: metadata.inputHeight),
                postprocessor: YOLOPostprocessor(classNames: metadata.classNames))
        case "hosting-sample":
            return HostingSampleBackend(name: model.provider.rawValue, client: client, classNames: metadata.classNames)
        case let other:
            throw ConfigurationError.invalidDocument(
                source: "catalog",
                detail: "\(model.id): detector.wireFormat \(other.prefix(40)) is not npy or hosting-sample")
        }
    }

    /// Class names and input size from the `.onnx` file's own metadata.
    private static func onnxMetadata(_ path: String) throws -> ModelMetadata {
        let bytes: [UInt8]
        do { bytes = try FileReader.read(path, limit: 2 << 30) } catch {
            throw VisionError.modelUnavailable(error.errorMessage)
        }
        do { return try ONNXMetadataReader.read(bytes, source: path) } catch {
            throw VisionError.modelUnavailable(error.errorMessage)
        }
    }

    /// The catalog's input size and class names, where it gives them, over the model's own.
    private static func overriding(_ metadata: ModelMetadata, with spec: DetectorSpec?) throws -> ModelMetadata {
        var metadata = metadata
        if let size = spec?.inputSize {
            guard (32...4096).contains(size) else {
                throw ConfigurationError.invalidDocument(
                    source: "catalog", detail: "detector.inputSize \(size) out of range")
            }
            metadata.inputWidth = size
            metadata.inputHeight = size
        }
        if let names = spec?.classNames {
            metadata.classNames = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($0.offset, $0.element) })
        }
        return metadata
    }

    /// One run on a gray image at init (`VISION_WARMUP`, off by default): onnxruntime allocates its
    /// arena on the first run, so the first request does not pay for it, and a model that loads
    /// but cannot run fails here, as an init error. Without it the session's own checks at load
    /// (graph, kernels, the YOLOv8 input/output shapes) still fail a bad model at init.
    private static func warm(_ backend: InProcessBackend, model: ModelID) throws {
        let image = PreparedImage(
            image: RGBImage(width: 64, height: 48, red: 114, green: 114, blue: 114), orientation: 1, format: .png)
        do { _ = try backend.detectNow(image, options: DetectionOptions()) } catch {
            throw VisionError.modelUnavailable("\(model): the model does not run: \(error.errorMessage)")
        }
    }
}
