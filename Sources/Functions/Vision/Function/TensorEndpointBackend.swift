import SwitchyardContract
import SwitchyardVision

/// Raw tensor in, raw output out: pre- and post-processing run here, the endpoint (a SageMaker
/// endpoint or the local one) only runs the network. Tensors travel as `.npy`
/// (`application/x-npy`), which SageMaker's framework containers accept and which carries the
/// output's shape.
public struct TensorEndpointBackend: DetectionBackend {
    public var name: String
    public var client: EndpointClient
    public var preprocessor: YOLOPreprocessor
    public var postprocessor: YOLOPostprocessor
    /// Images per request; 1 for a model exported with a fixed batch (the Ultralytics default).
    public var maxBatch: Int

    public init(
        name: String, client: EndpointClient, preprocessor: YOLOPreprocessor, postprocessor: YOLOPostprocessor,
        maxBatch: Int = 1
    ) {
        self.name = name
        self.client = client
        self.preprocessor = preprocessor
        self.postprocessor = postprocessor
        self.maxBatch = max(1, maxBatch)
    }

    public func detect(
        _ images: [PreparedImage], options: DetectionOptions, deadline: ContinuousClock.Instant
    ) async throws(VisionError) -> [[Detection]] {
        var results: [[Detection]] = []
        var start = 0
        while start < images.count {
            let chunk = images[start..<min(images.count, start + maxBatch)].map(\.image)
            let (tensor, geometries) = preprocessor.batch(chunk)
            let response = try await client.post(
                body: NPYFormat.encode(tensor), contentType: NPYFormat.contentType, accept: NPYFormat.contentType,
                deadline: deadline)
            let output = try NPYFormat.decode(response.body)
            results += try postprocessor.detections(from: output, geometries: geometries, options: options)
            start += maxBatch
        }
        return results
    }
}
