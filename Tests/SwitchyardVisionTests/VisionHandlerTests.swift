import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest

@testable import SwitchyardVision
@testable import SwitchyardVisionFunction

final class VisionHandlerTests: XCTestCase {
    /// From when the test runs: XCTest creates every test's instance when the whole run starts.
    var farFuture: ContinuousClock.Instant { .now.advanced(by: .seconds(120)) }

    func handler(_ transport: RecordingTransport, _ extra: [String: String] = [:]) async throws -> VisionHandler {
        try await VisionHandler.make(
            environment: VisionFixtures.environment(bundle: try VisionFixtures.bundle(), extra), transport: transport)
    }

    func inline(_ image: RGBImage) throws -> ImageReference {
        .inline(format: .png, base64: Base64.encode(try ImageEncoder.png(image)))
    }

    // MARK: - The plan chooses the backend

    func testContainerDetectorGetsTheUInt8TensorAtItsCatalogURL() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let outcome = await handler.run(
            VisionFixtures.input(
                [try inline(TestImages.gradient(width: 1280, height: 720))], plan: ["yolov8n-container"]),
            invocationID: "lambda-req-1", deadline: farFuture)
        XCTAssertEqual(outcome.status, .succeeded, "\(String(describing: outcome.error))")
        XCTAssertEqual(outcome.model, "yolov8n-container")
        XCTAssertEqual(outcome.provider, .container)
        let request = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(transport.sent.count, 1)
        XCTAssertEqual(request.url, "http://10.0.0.7:8080/invocations")
        XCTAssertNil(request.headers["authorization"])
        XCTAssertEqual(request.headers["content-type"], "application/x-npy")
        // The letterboxed image as uint8 HWC: 640·640·3 bytes plus a 128-byte header, not 4.9 MB of floats.
        XCTAssertEqual(request.body.count, 640 * 640 * 3 + 128)
        let sent = try NPYFormat.decode(request.body)
        XCTAssertEqual(sent.shape, [1, 640, 640, 3])
        XCTAssertEqual(sent.values[0], 114)  // top padding row (1280x720 → 640x360, 140 rows each side)
        let detection = try XCTUnwrap(outcome.results.first?.detections.first)
        XCTAssertEqual(detection.className, "bicycle")  // from the catalog's classNames
        XCTAssertEqual(detection.box.x1, 540, accuracy: 1e-3)  // (270 − 0) · 2
        XCTAssertEqual(detection.box.y1, 310, accuracy: 1e-3)  // (295 − 140) · 2
        XCTAssertEqual(outcome.results.first?.model, "yolov8n-container")
        // Usage: one record, billed as the catalog's Fargate task.
        XCTAssertEqual(outcome.usage.count, 1)
        let record = outcome.usage[0]
        XCTAssertEqual(record.requestID, "req-1")
        XCTAssertEqual(record.step, "vision")
        XCTAssertEqual(record.invocationID, "lambda-req-1")
        XCTAssertEqual(record.attempt, 0)
        XCTAssertEqual(record.tenant, "acme")
        XCTAssertEqual(record.bundleVersion, "b1")
        XCTAssertEqual(record.backend, .fargate)
        XCTAssertEqual(record.modality, .image)
        XCTAssertEqual(record.status, .succeeded)
        XCTAssertEqual(record.images, .init(count: 1, pixels: 1280 * 720))
        XCTAssertEqual(record.compute?.kind, "fargate")
        XCTAssertEqual(record.compute?.milliVCPU, 2048)
        XCTAssertEqual(record.compute?.memoryMB, 4096)
        XCTAssertEqual(record.compute?.architecture, "arm64")
        XCTAssertGreaterThanOrEqual(record.compute?.durationMs ?? 0, 1)
    }

    func testSageMakerDetectorIsSignedForItsEndpoint() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let outcome = await handler.run(
            VisionFixtures.input([try inline(TestImages.gradient(width: 64, height: 64))], plan: ["yolov8n-sagemaker"]),
            invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(outcome.status, .succeeded)
        let request = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(request.url, "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/yolo-prod/invocations")
        XCTAssertTrue(request.headers["authorization"]?.contains("/eu-west-1/sagemaker/aws4_request") ?? false)
        XCTAssertEqual(request.headers["x-amz-security-token"], "token")
        XCTAssertEqual(outcome.usage.first?.backend, .sagemaker)
        XCTAssertEqual(outcome.usage.first?.compute?.kind, "endpoint")
        XCTAssertEqual(outcome.usage.first?.compute?.instanceType, "ml.g4dn.xlarge")
    }

    /// The in-process detector runs the colour-cell model: the red square is class 0 and every
    /// box lies on it; nothing goes over the network.
    func testInProcessDetectorRunsTheModelHere() async throws {
        let transport = RecordingTransport { _ in .failure(.io("no network expected")) }
        let handler = try await handler(transport)
        let outcome = await handler.run(
            VisionFixtures.input([try inline(VisionFixtures.redSquare())], plan: ["yolov8n-lambda"]),
            invocationID: "inv",
            deadline: farFuture)
        XCTAssertEqual(outcome.status, .succeeded, "\(String(describing: outcome.error))")
        XCTAssertEqual(transport.sent.count, 0)
        XCTAssertEqual(outcome.provider, .lambda)
        let detections = try XCTUnwrap(outcome.results.first?.detections)
        XCTAssertFalse(detections.isEmpty)
        for d in detections {
            XCTAssertEqual(d.className, "person")
            let cx = (d.box.x1 + d.box.x2) / 2, cy = (d.box.y1 + d.box.y2) / 2
            XCTAssertTrue((400 - 64...720 + 64).contains(cx) && (200 - 64...520 + 64).contains(cy), "\(d.box)")
        }
        let record = try XCTUnwrap(outcome.usage.first)
        XCTAssertEqual(record.backend, .lambda)
        XCTAssertEqual(record.compute?.kind, "lambda")
        XCTAssertEqual(record.compute?.memoryMB, 1024)
        #if arch(x86_64)
            XCTAssertEqual(record.compute?.architecture, "x86_64")
        #endif
    }

    /// Init runs no inference unless `VISION_WARMUP` asks for one (a cold request would pay for a
    /// whole extra run), and the first request of an unwarmed session detects exactly what a
    /// warmed one does.
    func testWarmUpIsOptInAndTheFirstRunWithoutItGivesTheSameDetections() async throws {
        let environment = VisionFixtures.environment(bundle: try VisionFixtures.bundle())
        XCTAssertFalse(try VisionConfiguration(environment: environment).warmUp)
        XCTAssertTrue(
            try VisionConfiguration(
                environment: VisionFixtures.environment(bundle: try VisionFixtures.bundle(), ["VISION_WARMUP": "true"])
            ).warmUp)
        let input = VisionFixtures.input([try inline(VisionFixtures.redSquare())], plan: ["yolov8n-lambda"])
        var detections: [[Detection]] = []
        for extra in [[:], ["VISION_WARMUP": "true"]] {
            let transport = RecordingTransport { _ in .failure(.io("no network expected")) }
            let made = try await handler(transport, extra)
            let outcome = await made.run(input, invocationID: "inv", deadline: farFuture)
            XCTAssertEqual(outcome.status, .succeeded, "\(extra): \(String(describing: outcome.error))")
            detections.append(try XCTUnwrap(outcome.results.first?.detections))
        }
        XCTAssertFalse(detections[0].isEmpty)
        XCTAssertEqual(detections[0], detections[1])
    }

    /// A JPEG stored sideways with EXIF orientation 6 gives the same detections as the upright
    /// picture: boxes are in the pixels a person sees, without the function turning the image.
    func testRotatedJPEGIsReadThroughItsOrientation() async throws {
        let handler = try await handler(RecordingTransport { _ in .failure(.io("unused")) })
        let upright = VisionFixtures.redSquare(width: 640, height: 480)
        // Stored turned 90° counter-clockwise; orientation 6 says "turn clockwise to view".
        let stored = EXIFOrientation.apply(8, to: upright)
        let rotated = TestImages.withOrientation(try ImageEncoder.jpeg(stored, quality: 100), 6)
        let straight = try ImageEncoder.jpeg(upright, quality: 100)
        let outcome = await handler.run(
            VisionFixtures.input(
                [
                    .inline(format: .jpeg, base64: Base64.encode(rotated)),
                    .inline(format: .jpeg, base64: Base64.encode(straight)),
                ],
                plan: ["yolov8n-lambda"]), invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(outcome.status, .succeeded, "\(String(describing: outcome.error))")
        let (a, b) = (outcome.results[0], outcome.results[1])
        XCTAssertEqual([a.width, a.height, a.orientation], [640, 480, 6])
        XCTAssertEqual(a.detections.count, b.detections.count)
        for (x, y) in zip(a.detections, b.detections) {
            XCTAssertEqual(x.box.x1, y.box.x1, accuracy: 8)
            XCTAssertEqual(x.box.y1, y.box.y1, accuracy: 8)
            XCTAssertEqual(x.classID, y.classID)
        }
    }

    // MARK: - Fallback along the plan

    func testABackendFailureFallsBackToTheNextDetectorForTheRestOfTheImages() async throws {
        let transport = RecordingTransport { _ in .success(HTTPResponse(status: 503, body: Array("busy".utf8))) }
        let handler = try await handler(transport)
        let images = try (0..<3).map { _ in try inline(VisionFixtures.redSquare(width: 320, height: 240)) }
        let outcome = await handler.run(
            VisionFixtures.input(images, plan: ["yolov8n-container", "yolov8n-lambda"]), invocationID: "inv",
            deadline: farFuture)
        XCTAssertEqual(outcome.status, .degraded)
        XCTAssertEqual(outcome.model, "yolov8n-lambda")
        XCTAssertEqual(outcome.results.map(\.model), ["yolov8n-lambda", "yolov8n-lambda", "yolov8n-lambda"])
        XCTAssertEqual(transport.sent.count, 1)  // the failed endpoint is not asked again
        XCTAssertEqual(outcome.usage.map(\.attempt), [0, 1])
        XCTAssertEqual(outcome.usage.map(\.status), [.failed, .fallback])
        XCTAssertEqual(outcome.usage[0].errorType, "Vision.BackendUnavailable")
        XCTAssertEqual(outcome.usage[0].model, "yolov8n-container")
        XCTAssertEqual(outcome.usage[0].images?.count, 1)
        XCTAssertEqual(outcome.usage[1].images, .init(count: 3, pixels: 3 * 320 * 240))
        XCTAssertNil(outcome.error)
    }

    func testNoDetectorAnsweringIsAFailedOutcomeWithEveryAttemptBilled() async throws {
        let transport = RecordingTransport { request in
            request.url.contains("sagemaker")
                ? .failure(.timeout(milliseconds: 5000)) : .success(HTTPResponse(status: 400, body: Array("bad".utf8)))
        }
        let handler = try await handler(transport)
        let outcome = await handler.run(
            VisionFixtures.input(
                [try inline(TestImages.gradient(width: 32, height: 32))],
                plan: ["yolov8n-sagemaker", "yolov8n-container"]),
            invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(outcome.error?.errorType, "Vision.BackendRejected")
        XCTAssertEqual(outcome.results, [])
        XCTAssertEqual(outcome.usage.map(\.status), [.failed, .failed])
        XCTAssertEqual(outcome.usage.map(\.errorType), ["Vision.BackendUnavailable", "Vision.BackendRejected"])
        XCTAssertEqual(Set(outcome.usage.map(\.attempt)).count, 2)
    }

    func testPlanModelsThisFunctionDoesNotRun() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let image = try inline(TestImages.gradient(width: 32, height: 32))
        let none = await handler.run(
            VisionFixtures.input([image], plan: ["gpt-4o", "yolov9-nowhere"]), invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(none.status, .failed)
        XCTAssertEqual(none.error?.errorType, "Vision.NoDetector")
        XCTAssertEqual(none.usage, [])
        // The first choice is unknown here: the answer comes from the second, a degraded one.
        let second = await handler.run(
            VisionFixtures.input([image], plan: ["yolov9-nowhere", "yolov8n-container"]), invocationID: "inv",
            deadline: farFuture)
        XCTAssertEqual(second.status, .degraded)
        XCTAssertEqual(second.usage.map(\.status), [.fallback])
    }

    // MARK: - Requests and images that cannot be served

    func testBadInputIsAFailedOutcomeNotALambdaError() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport, ["VISION_MAX_IMAGES": "2"])
        let png = try inline(TestImages.gradient(width: 8, height: 8))
        let cases: [(VisionStepInput, String)] = [
            (VisionFixtures.input([], plan: ["yolov8n-container"]), "Vision.InvalidRequest"),
            (VisionFixtures.input([png, png, png], plan: ["yolov8n-container"]), "Vision.InvalidRequest"),
            (VisionFixtures.input([png], plan: []), "Vision.InvalidRequest"),
            (VisionFixtures.input([png], plan: ["yolov8n-container"], confidence: 2), "Vision.InvalidRequest"),
            (
                VisionFixtures.input(
                    [.inline(format: nil, base64: Base64.encode(Array("hello world".utf8)))],
                    plan: ["yolov8n-container"]),
                "Vision.NotAnImage"
            ),
            (
                VisionFixtures.input(
                    [try ImageReference(parsing: "https://169.254.169.254/latest/meta-data")],
                    plan: ["yolov8n-container"]),
                "Image.Forbidden"
            ),
            (
                VisionFixtures.input(
                    [try ImageReference(parsing: "s3://someone-elses-bucket/a.jpg")], plan: ["yolov8n-container"]),
                "Image.Forbidden"
            ),
            (
                VisionFixtures.input(
                    [try ImageReference(parsing: "http://images.example.com/a.jpg")], plan: ["yolov8n-container"]),
                "Image.Forbidden"
            ),
        ]
        for (input, expected) in cases {
            let outcome = await handler.run(input, invocationID: "inv", deadline: farFuture)
            XCTAssertEqual(outcome.status, .failed)
            XCTAssertEqual(outcome.error?.errorType, expected, "\(String(describing: outcome.error))")
        }
        XCTAssertEqual(transport.sent.count, 0)
    }

    /// An image that fails after others were detected still bills the detector calls made.
    func testUsageOfEarlierImagesSurvivesALaterBadImage() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let good = try inline(TestImages.gradient(width: 16, height: 16))
        let bad = ImageReference.inline(format: nil, base64: Base64.encode(Array("not an image".utf8)))
        let outcome = await handler.run(
            VisionFixtures.input([good, bad], plan: ["yolov8n-container"]), invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(outcome.error?.errorType, "Vision.NotAnImage")
        XCTAssertEqual(outcome.usage.count, 1)
        XCTAssertEqual(outcome.usage[0].status, .succeeded)
    }

    func testBatchItemsAreTheirOwnStep() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let item = BatchItem(id: "item-7", images: [try inline(TestImages.gradient(width: 16, height: 16))])
        let outcome = await handler.run(
            VisionFixtures.input([], plan: ["yolov8n-container"], item: item), invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(outcome.itemID, "item-7")
        XCTAssertEqual(outcome.usage.first?.step, "batch/item-7/vision")
    }

    func testOutcomeRoundTripsThroughJSON() async throws {
        let transport = RecordingTransport { _ in
            .success(HTTPResponse(status: 200, body: VisionFixtures.oneBoxOutput()))
        }
        let handler = try await handler(transport)
        let outcome = await handler.run(
            VisionFixtures.input([try inline(TestImages.gradient(width: 16, height: 16))], plan: ["yolov8n-container"]),
            invocationID: "inv", deadline: farFuture)
        XCTAssertEqual(try JSON.decode(VisionOutcome.self, from: try JSON.encode(outcome)), outcome)
    }

    // MARK: - The hosting-sample wire format

    func testHostingSampleContract() async throws {
        let transport = RecordingTransport { request in
            let answer = #"{"boxes": [[10, 20, 30, 40, 0.9, 2], [-5, 0, 5000, 10, 0.5, 0], [1, 1, 2, 2, 0.1, 1]]}"#
            return .success(HTTPResponse(status: 200, body: Array(answer.utf8)))
        }
        let handler = try await handler(transport)
        let jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 100, height: 80))
        let outcome = await handler.run(
            VisionFixtures.input([.inline(format: .jpeg, base64: Base64.encode(jpeg))], plan: ["yolov8n-hosting"]),
            invocationID: "inv", deadline: farFuture)
        let detections = outcome.results[0].detections
        XCTAssertEqual(detections.map(\.classID), [2, 0])  // 0.1 is under the default 0.25
        XCTAssertEqual(detections[1].box, BoundingBox(x1: 0, y1: 0, x2: 100, y2: 10))
        let request = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(request.headers["content-type"], "text/csv")
        XCTAssertEqual(try Base64.decode(request.body), jpeg)  // the original JPEG, unchanged
    }

    // MARK: - Init: models and catalog

    func testMissingOrCorruptModelIsATypedInitError() async throws {
        let corrupt = VisionFixtures.directory.appendingPathComponent("corrupt.onnx")
        try Data("not an onnx model".utf8).write(to: corrupt)
        for (file, expected) in [
            ("/nonexistent/yolov8n.onnx", "Vision.ModelUnavailable"), (corrupt.path, "Vision.ModelUnavailable"),
            ("models/not-in-the-bundle.onnx", "Vision.ModelUnavailable"),
        ] {
            do {
                _ = try await VisionHandler.make(
                    environment: VisionFixtures.environment(bundle: try VisionFixtures.bundle(modelFile: file)),
                    transport: RecordingTransport { _ in .failure(.io("unused")) })
                XCTFail("\(file) loaded")
            } catch {
                XCTAssertEqual((error as? any FunctionError)?.errorType, expected, "\(file): \(error)")
            }
        }
    }

    func testModelsFromTheBundleDirectoryAndFromS3() async throws {
        let bundle = try VisionFixtures.bundle(modelFile: "models/cells.onnx")
        try FileManager.default.createDirectory(
            at: bundle.appendingPathComponent("models"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: try VisionFixtures.cellModel(), toPath: bundle.appendingPathComponent("models/cells.onnx").path)
        let unused = RecordingTransport { _ in .failure(.io("unused")) }
        let fromBundle = try await VisionHandler.make(
            environment: VisionFixtures.environment(bundle: bundle), transport: unused)
        XCTAssertNotNil(fromBundle.detectors["yolov8n-lambda"])
        let size = try FileManager.default.attributesOfItem(atPath: try VisionFixtures.cellModel())[.size] as? Int
        XCTAssertEqual(fromBundle.detectors.inProcessModelBytes, size)

        let model = Array(try Data(contentsOf: URL(fileURLWithPath: try VisionFixtures.cellModel())))
        let s3 = RecordingTransport { request in
            request.url == "http://127.0.0.1:4566/switchyard-models/yolo/cells.onnx"
                ? .success(HTTPResponse(status: 200, body: model)) : .success(HTTPResponse(status: 404))
        }
        let cache = VisionFixtures.directory.appendingPathComponent("cache-\(UUID().uuidString)").path
        let environment = VisionFixtures.environment(
            bundle: try VisionFixtures.bundle(modelFile: "s3://switchyard-models/yolo/cells.onnx"),
            ["AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4566", "VISION_MODEL_CACHE_DIR": cache])
        _ = try await VisionHandler.make(environment: environment, transport: s3)
        XCTAssertEqual(s3.sent.count, 1)
        XCTAssertTrue(s3.sent[0].headers["authorization"]?.contains("/s3/aws4_request") ?? false)
        _ = try await VisionHandler.make(environment: environment, transport: s3)  // a warm /tmp: no second download
        XCTAssertEqual(s3.sent.count, 1)
    }

    func testCatalogEntriesMissingWhatTheirProviderNeeds() async throws {
        let noEndpoint = VisionFixtures.entry(
            "broken-container", provider: "container", detector: "{}", compute: #"{"kind": "fargate"}"#)
        do {
            _ = try await VisionHandler.make(
                environment: VisionFixtures.environment(bundle: try VisionFixtures.bundle(extra: [noEndpoint])),
                transport: RecordingTransport { _ in .failure(.io("unused")) })
            XCTFail("loaded")
        } catch {
            XCTAssertEqual((error as? any FunctionError)?.errorType, "Config.InvalidDocument")
        }
    }
}
