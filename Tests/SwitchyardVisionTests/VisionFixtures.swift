import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardVision

@testable import SwitchyardVisionFunction

/// A bundle directory with a catalog, and the models its detectors name, generated with the
/// repository's own scripts.
enum VisionFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-vision-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The colour-cell test model (make_yolo_model.py): class k scores colour channel k % 3.
    static func cellModel() throws -> String {
        let path = directory.appendingPathComponent("cells.onnx").path
        if !FileManager.default.fileExists(atPath: path) {
            let process = Process()
            let venv = repository.appendingPathComponent(".venv/bin/python").path
            process.executableURL = URL(fileURLWithPath: venv)
            process.arguments = ["Tests/Fakes/make_yolo_model.py", path, "--names", "person,bicycle,car"]
            process.currentDirectoryURL = repository
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw NSError(domain: "VisionFixtures", code: 1) }
        }
        return path
    }

    static func entry(
        _ id: String, provider: String, endpoint: String? = nil, region: String? = nil, detector: String,
        compute: String
    ) -> String {
        var fields = [
            #""id": "\#(id)""#, #""provider": "\#(provider)""#, #""kind": "vision""#, #""contextWindow": 0"#,
            #""capabilities": []"#,
            #""latency": {"p50Ms": 60, "p95Ms": 200}"#, #""quality": {"detection": 0.7}"#, #""tiers": ["basic"]"#,
            #""detector": \#(detector)"#, #""compute": \#(compute)"#,
        ]
        if let endpoint { fields.append(#""endpoint": "\#(endpoint)""#) }
        if let region { fields.append(#""region": "\#(region)""#) }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// A bundle whose catalog has an in-process, a SageMaker, a container and a hosting-sample
    /// detector (the in-process model is `modelFile`, absolute, unless given), plus a chat LLM.
    static func bundle(modelFile: String? = nil, extra: [String] = []) throws -> URL {
        let model = try modelFile ?? cellModel()
        let names = #"["person", "bicycle", "car"]"#
        let models =
            [
                entry(
                    "yolov8n-lambda", provider: "lambda", detector: #"{"modelFile": "\#(model)"}"#,
                    compute: #"{"kind": "lambda"}"#),
                entry(
                    "yolov8n-sagemaker", provider: "sagemaker", endpoint: "yolo-prod", region: "eu-west-1",
                    detector: #"{"inputSize": 640, "classNames": \#(names)}"#,
                    compute: #"{"kind": "endpoint", "instanceType": "ml.g4dn.xlarge"}"#),
                entry(
                    "yolov8n-container", provider: "container", endpoint: "http://10.0.0.7:8080/invocations",
                    detector: #"{"classNames": \#(names)}"#,
                    compute: #"{"kind": "fargate", "milliVCPU": 2048, "memoryMB": 4096, "architecture": "arm64"}"#),
                entry(
                    "yolov8n-hosting", provider: "sagemaker", endpoint: "yolo-sample", region: "eu-west-1",
                    detector: #"{"wireFormat": "hosting-sample", "classNames": \#(names)}"#,
                    compute: #"{"kind": "endpoint", "instanceType": "ml.g4dn.xlarge"}"#),
                #"{"id": "gpt-4o", "provider": "openai", "kind": "llm", "contextWindow": 128000, "capabilities": [], "#
                    + #""latency": {"p50Ms": 900, "p95Ms": 3000}, "quality": {"chat": 0.9}, "tiers": ["pro"]}"#,
            ] + extra
        let bundle = directory.appendingPathComponent("bundle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: bundle, withIntermediateDirectories: true)
        let catalog = #"{"version": "test-1", "models": [\#(models.joined(separator: ",\n"))]}"#
        try Data(catalog.utf8).write(to: bundle.appendingPathComponent("catalog.json"))
        return bundle
    }

    static func environment(bundle: URL, _ extra: [String: String] = [:]) -> Environment {
        Environment(
            [
                "SWITCHYARD_BUNDLE_DIR": bundle.path, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
                "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
                "AWS_SESSION_TOKEN": "token", "VISION_THREADS": "1",
            ].merging(extra) { $1 })
    }

    /// A gray photo with a saturated red rectangle over x 5/16...9/16, y 5/18...13/18 of it
    /// ((400..720, 200..520) at 1280x720): the cell model reports class 0 ("person") boxes on it
    /// and nothing elsewhere.
    static func redSquare(width: Int = 1280, height: Int = 720) -> RGBImage {
        var image = RGBImage(width: width, height: height, red: 90, green: 90, blue: 90)
        for y in (height * 5 / 18)..<(height * 13 / 18) {
            for x in (width * 5 / 16)..<(width * 9 / 16) {
                let i = (y * width + x) * 3
                image.pixels[i] = 255
                image.pixels[i + 1] = 0
                image.pixels[i + 2] = 0
            }
        }
        return image
    }

    static func context(requestID: String = "req-1", tenant: String = "acme") -> UsageContext {
        UsageContext(requestID: requestID, tenantID: tenant, tier: "basic", route: "vision", bundleVersion: "b1")
    }

    static func input(
        _ images: [ImageReference], plan models: [String], item: BatchItem? = nil, confidence: Double? = nil
    ) -> VisionStepInput {
        let plan = VisionPlan(
            candidates: models.map { VisionCandidate(model: ModelID($0), attemptTimeoutMs: 5000) },
            confidenceThreshold: confidence)
        if let item { return VisionStepInput(item: item, plan: plan, context: context()) }
        return VisionStepInput(
            request: InferenceRequest(requestID: "req-1", tenantID: "acme", images: images), plan: plan,
            context: context())
    }

    /// An endpoint's `.npy` answer: one confident class-1 box in the middle of a 640x640 input.
    static func oneBoxOutput() -> [UInt8] {
        var values = [Float](repeating: 0, count: 7 * 10)
        values[0] = 320
        values[10] = 320
        values[20] = 100
        values[30] = 50
        values[50] = 0.8  // class 1 of 3, anchor 0
        return NPYFormat.encode(Tensor(shape: [1, 7, 10], values: values))
    }
}
