import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import XCTest

@testable import SwitchyardVision
@testable import SwitchyardVisionFunction

/// An endpoint stand-in: records requests and answers with a fixed response or error.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    var requests: [HTTPRequest] = []
    var answer: (HTTPRequest) -> Result<HTTPResponse, TransportError>

    init(answer: @escaping (HTTPRequest) -> Result<HTTPResponse, TransportError>) { self.answer = answer }

    func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError) -> HTTPResponse {
        requests.append(request)
        return try answer(request).get()
    }

    func stream(_ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver)
        async throws(TransportError) -> HTTPResponseHead
    {
        throw .io("not used")
    }
}

final class VisionHandlerTests: XCTestCase {
    let farFuture = ContinuousClock.now.advanced(by: .seconds(60))

    func configuration(_ values: [String: String] = [:]) throws -> VisionConfiguration {
        try VisionConfiguration(
            environment: Environment(["VISION_ENDPOINT_URL": "http://127.0.0.1:9/invocations"].merging(values) { $1 }))
    }

    /// A model output with one confident class-1 box in the middle of a 640x640 input.
    func oneBoxOutput() -> [UInt8] {
        var values = [Float](repeating: 0, count: 7 * 10)
        values[0] = 320
        values[10] = 320
        values[20] = 100
        values[30] = 50
        values[50] = 0.8  // class 1 of 3
        return NPYFormat.encode(Tensor(shape: [1, 7, 10], values: values))
    }

    func testInlineImageThroughTensorBackend() async throws {
        let transport = ScriptedTransport { _ in .success(HTTPResponse(status: 200, body: self.oneBoxOutput())) }
        let handler = VisionHandler(configuration: try configuration(), transport: transport)
        let png = try ImageEncoder.png(TestImages.gradient(width: 1280, height: 720))
        let response = try await handler.handle(
            VisionRequest(image: Base64.encode(png), classNames: ["a", "b", "c"], requestID: "r1"), deadline: farFuture)
        XCTAssertEqual(response.backend, "local")
        XCTAssertEqual(response.requestID, "r1")
        XCTAssertEqual(response.results.count, 1)
        let detection = try XCTUnwrap(response.results[0].detections.first)
        XCTAssertEqual(detection.className, "b")
        XCTAssertEqual(detection.box.x1, 540, accuracy: 1e-3)  // (270 - 0) * 2
        XCTAssertEqual(detection.box.y1, 310, accuracy: 1e-3)  // (295 - 140) * 2
        XCTAssertEqual(response.usage.pixels, 1280 * 720)
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertEqual(request.headers["content-type"], "application/x-npy")
        XCTAssertNil(request.headers["authorization"])
        XCTAssertEqual(try NPYFormat.decode(request.body).shape, [1, 3, 640, 640])
    }

    func testSageMakerRequestsAreSigned() async throws {
        let transport = ScriptedTransport { _ in .success(HTTPResponse(status: 200, body: self.oneBoxOutput())) }
        let config = try configuration([
            "VISION_BACKEND": "sagemaker", "VISION_SAGEMAKER_ENDPOINT": "yolo-prod", "AWS_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_SESSION_TOKEN": "token",
        ])
        XCTAssertEqual(
            config.endpointURL, "https://runtime.sagemaker.eu-west-1.amazonaws.com/endpoints/yolo-prod/invocations")
        let handler = VisionHandler(configuration: config, transport: transport)
        let jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 64, height: 64))
        _ = try await handler.handle(VisionRequest(image: Base64.encode(jpeg)), deadline: farFuture)
        let request = try XCTUnwrap(transport.requests.first)
        XCTAssertTrue(request.headers["authorization"]?.contains("/eu-west-1/sagemaker/aws4_request") ?? false)
        XCTAssertEqual(request.headers["x-amz-security-token"], "token")
    }

    func testHostingSampleContract() async throws {
        let transport = ScriptedTransport { request in
            XCTAssertEqual(request.headers["content-type"], "text/csv")
            let answer = #"{"boxes": [[10, 20, 30, 40, 0.9, 2], [-5, 0, 5000, 10, 0.5, 0], [1, 1, 2, 2, 0.1, 1]]}"#
            return .success(HTTPResponse(status: 200, body: Array(answer.utf8)))
        }
        let config = try configuration(["VISION_BACKEND": "hosting-sample"])
        let handler = VisionHandler(configuration: config, transport: transport)
        let jpeg = try ImageEncoder.jpeg(TestImages.gradient(width: 100, height: 80))
        let response = try await handler.handle(VisionRequest(image: Base64.encode(jpeg)), deadline: farFuture)
        let detections = response.results[0].detections
        XCTAssertEqual(detections.map(\.classID), [2, 0])  // 0.1 is under the default 0.25
        XCTAssertEqual(detections[1].box, BoundingBox(x1: 0, y1: 0, x2: 100, y2: 10))
        // The original JPEG is sent unchanged (upright already), base64-encoded.
        XCTAssertEqual(try Base64.decode(try XCTUnwrap(transport.requests.first).body), jpeg)
    }

    /// A rotated JPEG or a PNG is re-encoded upright, so the endpoint's boxes refer to the pixels we report.
    func testHostingSampleSendsUprightJPEG() async throws {
        let transport = ScriptedTransport { _ in
            .success(HTTPResponse(status: 200, body: Array(#"{"boxes": []}"#.utf8)))
        }
        let handler = VisionHandler(
            configuration: try configuration(["VISION_BACKEND": "hosting-sample"]), transport: transport)
        let rotated = TestImages.withOrientation(try ImageEncoder.jpeg(TestImages.quadrants()), 6)
        let png = try ImageEncoder.png(TestImages.gradient(width: 20, height: 10))
        let response = try await handler.handle(
            VisionRequest(images: [Base64.encode(rotated), Base64.encode(png)]), deadline: farFuture)
        XCTAssertEqual(response.results.map(\.detections.count), [0, 0])
        let sent = try transport.requests.map { try ImageDecoder.decode(try Base64.decode($0.body)) }
        XCTAssertEqual(sent.map(\.format), [.jpeg, .jpeg])
        XCTAssertEqual(sent.map(\.orientation), [1, 1])
        XCTAssertEqual(sent.map { [$0.image.width, $0.image.height] }, [[32, 64], [20, 10]])
    }

    func assertVisionError(_ expected: String, _ body: () async throws -> Void, line: UInt = #line) async {
        do {
            try await body()
            XCTFail("expected \(expected)", line: line)
        } catch {
            XCTAssertEqual((error as? VisionError)?.errorType, expected, "\(error)", line: line)
        }
    }

    func testEndpointFailuresAreTyped() async throws {
        let png = Base64.encode(try ImageEncoder.png(TestImages.gradient(width: 32, height: 32)))
        let cases: [(Result<HTTPResponse, TransportError>, String)] = [
            (.failure(.timeout(milliseconds: 10)), "Vision.BackendUnavailable"),
            (.failure(.connectFailed("refused")), "Vision.BackendUnavailable"),
            (.success(HTTPResponse(status: 503)), "Vision.BackendUnavailable"),
            (.success(HTTPResponse(status: 400, body: Array("bad".utf8))), "Vision.BackendRejected"),
            (
                .success(
                    HTTPResponse(
                        status: 200, body: NPYFormat.encode(Tensor(shape: [1, 2, 3], values: [0, 0, 0, 0, 0, 0])))),
                "Vision.BadModelOutput"
            ),
            (.success(HTTPResponse(status: 200, body: Array("{}".utf8))), "Vision.BadModelOutput"),
        ]
        for (answer, expected) in cases {
            let handler = VisionHandler(
                configuration: try configuration(), transport: ScriptedTransport { _ in answer })
            await assertVisionError(expected) {
                _ = try await handler.handle(VisionRequest(image: png), deadline: self.farFuture)
            }
        }
    }

    func testBadRequestsAreTyped() async throws {
        let handler = VisionHandler(
            configuration: try configuration(["VISION_MAX_IMAGE_BYTES": "1000"]),
            transport: ScriptedTransport { _ in .failure(.io("unused")) })
        await assertVisionError("Vision.InvalidRequest") {
            _ = try await handler.handle(VisionRequest(), deadline: self.farFuture)
        }
        await assertVisionError("Vision.InvalidRequest") {
            _ = try await handler.handle(VisionRequest(image: "not base64!"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.NotAnImage") {
            _ = try await handler.handle(
                VisionRequest(image: Base64.encode(Array("hello world".utf8))), deadline: self.farFuture)
        }
        await assertVisionError("Vision.PayloadTooLarge") {
            _ = try await handler.handle(
                VisionRequest(image: String(repeating: "A", count: 4000)), deadline: self.farFuture)
        }
        await assertVisionError("Vision.InvalidRequest") {
            _ = try await handler.handle(
                VisionRequest(image: "http://169.254.169.254/latest/meta-data"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.InvalidRequest") {
            _ = try await handler.handle(VisionRequest(image: "s3://bucket-only"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.InvalidRequest") {
            _ = try await handler.handle(VisionRequest(image: "AAAA", confidenceThreshold: 2), deadline: self.farFuture)
        }
    }

    func testFetchFailuresAreTyped() async throws {
        let transport = ScriptedTransport { request in
            if request.url.contains("slow") { return .failure(.timeout(milliseconds: 100)) }
            if request.url.contains("huge") { return .failure(.responseTooLarge(limit: 1000)) }
            return .success(HTTPResponse(status: 404))
        }
        let handler = VisionHandler(
            configuration: try configuration(["VISION_MAX_IMAGE_BYTES": "1000"]), transport: transport)
        await assertVisionError("Vision.FetchFailed") {
            _ = try await handler.handle(VisionRequest(image: "https://example.com/slow.jpg"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.PayloadTooLarge") {
            _ = try await handler.handle(VisionRequest(image: "https://example.com/huge.jpg"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.FetchFailed") {
            _ = try await handler.handle(
                VisionRequest(image: "https://example.com/missing.jpg"), deadline: self.farFuture)
        }
        await assertVisionError("Vision.FetchFailed") {
            _ = try await handler.handle(VisionRequest(image: "s3://bucket/key.jpg"), deadline: self.farFuture)
        }
    }

    func testS3GetObjectIsSignedAndPathStyle() async throws {
        let png = try ImageEncoder.png(TestImages.gradient(width: 16, height: 16))
        let transport = ScriptedTransport { request in
            if request.url.hasPrefix("http://127.0.0.1:4566/") { return .success(HTTPResponse(status: 200, body: png)) }
            return .success(HTTPResponse(status: 200, body: self.oneBoxOutput()))
        }
        let config = try configuration([
            "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:4566", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID",
            "AWS_SECRET_ACCESS_KEY": "s",
        ])
        let handler = VisionHandler(configuration: config, transport: transport)
        let response = try await handler.handle(VisionRequest(image: "s3://photos/2026/cat 1.png"), deadline: farFuture)
        XCTAssertEqual(response.results[0].image.width, 16)
        let get = transport.requests[0]
        XCTAssertEqual(get.url, "http://127.0.0.1:4566/photos/2026/cat%201.png")
        XCTAssertTrue(get.headers["authorization"]?.contains("/us-east-1/s3/aws4_request") ?? false)
    }

    func testPrivateHostDetection() {
        for host in [
            "localhost", "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "[::1]", "fd00::1",
            "0.0.0.0",
        ] {
            XCTAssertTrue(ImageFetcher.isPrivateHost(host), host)
        }
        for host in ["example.com", "8.8.8.8", "172.32.0.1", "s3.amazonaws.com"] {
            XCTAssertFalse(ImageFetcher.isPrivateHost(host), host)
        }
    }

    func testModelMetadataFormats() throws {
        let ultralytics = try ModelMetadata.parse(
            Array(#"{"names": {"0": "person", "1": "bicycle"}, "imgsz": [480, 640]}"#.utf8), source: "m.json")
        XCTAssertEqual(ultralytics.classNames, [0: "person", 1: "bicycle"])
        XCTAssertEqual(ultralytics.inputHeight, 480)
        XCTAssertEqual(ultralytics.inputWidth, 640)
        let list = try ModelMetadata.parse(Array(#"{"names": ["a", "b"], "imgsz": 320}"#.utf8), source: "m.json")
        XCTAssertEqual(list.classNames[1], "b")
        XCTAssertEqual(list.inputWidth, 320)
        XCTAssertThrowsError(try ModelMetadata.parse(Array(#"{"imgsz": 5}"#.utf8), source: "m.json"))
    }
}
