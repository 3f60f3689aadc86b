import SwitchyardContract
import SwitchyardVision

/// A remote detector that runs only the network: the letterboxed image goes out as a uint8
/// `.npy` `[1, H, W, 3]` (1.2 MB at 640x640, a quarter of the float tensor and under SageMaker
/// Serverless Inference's 4 MB payload limit; the endpoint divides by 255 and transposes), and
/// the raw output `[1, 4+nc, anchors]` comes back as `.npy`. Pre- and post-processing run here.
/// SageMaker endpoints (SigV4) and containers behind a load balancer speak the same contract;
/// `Tests/Fakes/vision_endpoint.py` is its reference implementation.
public struct TensorEndpointBackend: DetectionBackend {
    public var name: String
    public var client: EndpointClient
    public var preprocessor: YOLOPreprocessor
    public var postprocessor: YOLOPostprocessor

    public init(
        name: String, client: EndpointClient, preprocessor: YOLOPreprocessor, postprocessor: YOLOPostprocessor
    ) {
        self.name = name
        self.client = client
        self.preprocessor = preprocessor
        self.postprocessor = postprocessor
    }

    public func detect(_ image: PreparedImage, options: DetectionOptions, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> [Detection]
    {
        let body: [UInt8]
        let geometry: LetterboxGeometry
        do {
            // The letterboxed pixels are dropped as soon as the request body holds them.
            let (boxed, g) = preprocessor.letterboxedImage(image.image, orientation: image.orientation)
            body = NPYFormat.encode(
                uint8: boxed.pixels, shape: [1, preprocessor.inputHeight, preprocessor.inputWidth, 3])
            geometry = g
        }
        let response = try await client.post(
            body: body, contentType: NPYFormat.contentType, accept: NPYFormat.contentType, deadline: deadline)
        let output = try NPYFormat.decode(response.body)
        return try postprocessor.detections(from: output, geometries: [geometry], options: options)[0]
    }
}
