import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardRuntime
import SwitchyardVision

/// The `vision` Lambda function: fetch → decode (capped) → backend → detections.
///
/// Decoding and pre/post-processing run here on the Lambda CPU so the GPU endpoint only runs the
/// network. Every failure is a `VisionError` with a stable `errorType`.
public struct VisionHandler: FunctionHandler {
    public typealias Event = VisionRequest
    public typealias Output = VisionResponse

    public let configuration: VisionConfiguration
    public let backend: any DetectionBackend
    public let fetcher: ImageFetcher
    /// Time kept back from the Lambda deadline to report an error cleanly.
    public var deadlineMargin: Duration = .milliseconds(300)

    public init(configuration: VisionConfiguration, backend: any DetectionBackend, fetcher: ImageFetcher) {
        self.configuration = configuration
        self.backend = backend
        self.fetcher = fetcher
    }

    /// Builds the backend and fetcher the configuration names, over one shared transport.
    public init(configuration: VisionConfiguration, transport: any HTTPTransport = CurlTransport()) {
        let c = configuration
        let signer =
            c.usesSigV4
            ? c.credentials.map { SigV4Signer(credentials: $0, region: c.region ?? "us-east-1", service: "sagemaker") }
            : nil
        let client = EndpointClient(
            url: c.endpointURL, transport: transport, signer: signer, backendName: c.backend.rawValue)
        let backend: any DetectionBackend =
            switch c.backend {
            case .hostingSample: HostingSampleBackend(client: client, classNames: c.metadata.classNames)
            case .local, .sagemaker:
                TensorEndpointBackend(
                    name: c.backend.rawValue, client: client,
                    preprocessor: YOLOPreprocessor(
                        inputWidth: c.metadata.inputWidth, inputHeight: c.metadata.inputHeight),
                    postprocessor: YOLOPostprocessor(classNames: c.metadata.classNames), maxBatch: c.maxBatch)
            }
        let s3Signer = c.credentials.map {
            SigV4Signer(credentials: $0, region: c.region ?? "us-east-1", service: "s3")
        }
        let fetcher = ImageFetcher(
            transport: transport, s3Signer: s3Signer, s3BaseURL: c.s3BaseURL, maxBytes: c.maxImageBytes,
            timeout: c.fetchTimeout,
            allowPrivateHosts: c.allowPrivateURLs)
        self.init(configuration: configuration, backend: backend, fetcher: fetcher)
    }

    public func handle(_ event: VisionRequest, context: InvocationContext) async throws -> VisionResponse {
        try await handle(event, deadline: context.deadline.advanced(by: .zero - deadlineMargin))
    }

    /// The whole invocation with typed errors; `handle(_:context:)` only adds the deadline.
    public func handle(_ event: VisionRequest, deadline: ContinuousClock.Instant) async throws(VisionError)
        -> VisionResponse
    {
        let clock = ContinuousClock()
        let started = clock.now
        let references = (event.image.map { [$0] } ?? []) + (event.images ?? [])
        guard !references.isEmpty else { throw .invalidRequest("give \"image\" or \"images\"") }
        guard references.count <= configuration.maxImages else {
            throw .invalidRequest(
                "\(references.count) images exceed the limit of \(configuration.maxImages) per request")
        }
        let options = try detectionOptions(event)

        var prepared: [PreparedImage] = []
        var fetchTime = Duration.zero, decodeTime = Duration.zero
        var inputBytes = 0
        for reference in references {
            let t0 = clock.now
            let source = try ImageSource.parse(reference, maxBytes: configuration.maxImageBytes)
            let bytes = try await fetcher.bytes(for: source, deadline: deadline)
            let t1 = clock.now
            let decoded = try ImageDecoder.decode(bytes, limits: configuration.limits)
            decodeTime += clock.now - t1
            fetchTime += t1 - t0
            inputBytes += bytes.count
            prepared.append(
                PreparedImage(
                    image: decoded.image, encoded: bytes, format: decoded.format, orientation: decoded.orientation))
        }

        let t2 = clock.now
        var detections = try await backend.detect(prepared, options: options, deadline: deadline)
        let inferenceTime = clock.now - t2
        if let names = event.classNames {
            for i in detections.indices {
                for j in detections[i].indices
                where detections[i][j].classID >= 0 && detections[i][j].classID < names.count {
                    detections[i][j].className = names[detections[i][j].classID]
                }
            }
        }
        let results = zip(prepared, detections).map { image, found in
            VisionResponse.ImageResult(
                image: .init(
                    width: image.image.width, height: image.image.height, format: image.format.rawValue,
                    orientation: image.orientation),
                detections: found)
        }
        return VisionResponse(
            requestID: event.requestID, backend: backend.name, results: results,
            timings: .init(
                fetchMs: fetchTime.fractionalMilliseconds, decodeMs: decodeTime.fractionalMilliseconds,
                inferenceMs: inferenceTime.fractionalMilliseconds, totalMs: (clock.now - started).fractionalMilliseconds
            ),
            usage: .init(
                images: prepared.count, pixels: prepared.reduce(0) { $0 + $1.image.width * $1.image.height },
                inputBytes: inputBytes))
    }

    func detectionOptions(_ event: VisionRequest) throws(VisionError) -> DetectionOptions {
        var options = DetectionOptions(maxDetections: 100)
        if let value = event.confidenceThreshold {
            guard (0...1).contains(value) else { throw .invalidRequest("confidenceThreshold must be in 0...1") }
            options.confidenceThreshold = Float(value)
        }
        if let value = event.iouThreshold {
            guard (0...1).contains(value) else { throw .invalidRequest("iouThreshold must be in 0...1") }
            options.iouThreshold = Float(value)
        }
        if let value = event.maxDetections {
            guard (1...1000).contains(value) else { throw .invalidRequest("maxDetections must be in 1...1000") }
            options.maxDetections = value
        }
        return options
    }
}
