import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest

@testable import SwitchyardFrontDoor

/// Moving inline images out of large bodies: every `data:image/…` string of a body over the
/// threshold is PUT to the upload prefix and replaced by its `s3://` reference; small bodies and
/// bodies that are not JSON pass untouched.
final class BodyOffloadTests: XCTestCase {
    func offload(_ endpoint: RecordingTransport, threshold: Int = 100) throws -> BodyOffload {
        let s3 = S3Client(
            baseURL: "https://s3.eu-west-1.amazonaws.com",
            signer: SigV4Signer(
                credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"),
                region: "eu-west-1", service: "s3"),
            transport: endpoint)
        return BodyOffload(
            s3: s3, location: try UploadLocation(parsing: "s3://data-bucket/uploads", variable: "X"),
            threshold: threshold)
    }

    func image(_ bytes: [UInt8], _ type: String = "png") -> String {
        "data:image/\(type);base64," + Base64.encode(bytes)
    }

    func testImagesOfALargeBodyArePutToS3AndReferenced() async throws {
        let png = [UInt8](repeating: 0x89, count: 300)
        let jpeg = [UInt8](repeating: 0xFF, count: 200)
        let body = JSON.object([
            "model": "auto",
            "messages": .array([
                .object([
                    "role": "user",
                    "content": .array([
                        .object(["type": "text", "text": "what is this? data:image/png;base64 in text stays"]),
                        .object(["type": "image_url", "image_url": .object(["url": .string(image(png))])]),
                        .object(["type": "image_url", "image_url": .object(["url": .string(image(jpeg, "jpeg"))])]),
                    ]),
                ])
            ]),
        ]).serialized()
        let endpoint = RecordingTransport(answers: [HTTPResponse(status: 200), HTTPResponse(status: 200)])
        let result = try JSON.parse(try await offload(endpoint).offload(body, deadline: .now + .seconds(5)))
        let sent = endpoint.sent
        XCTAssertEqual(sent.count, 2)
        XCTAssertEqual(sent.map(\.method), [.put, .put])
        XCTAssertEqual(sent[0].body, png)
        XCTAssertEqual(sent[1].body, jpeg)
        XCTAssertEqual(sent[0].headers["Content-Type"], "image/png")
        XCTAssertEqual(sent[1].headers["Content-Type"], "image/jpeg")
        let parts = try XCTUnwrap(result["messages"]?[0]?["content"])
        XCTAssertEqual(parts[0]?["text"]?.stringValue, "what is this? data:image/png;base64 in text stays")
        for (index, part) in [parts[1], parts[2]].enumerated() {
            let url = try XCTUnwrap(part?["image_url"]?["url"]?.stringValue)
            let key = String(url.dropFirst("s3://data-bucket/".count))
            XCTAssertTrue(url.hasPrefix("s3://data-bucket/uploads/"), url)
            XCTAssertEqual(sent[index].url, "https://s3.eu-west-1.amazonaws.com/data-bucket/" + key)
        }
    }

    func testSmallAndNonJSONBodiesPassUntouched() async throws {
        let endpoint = RecordingTransport(answers: [])
        let small = Array(#"{"messages": [{"role": "user", "content": "hi"}]}"#.utf8)
        let kept = try await offload(endpoint, threshold: 1000).offload(small, deadline: .now + .seconds(5))
        XCTAssertEqual(kept, small)
        let garbage = Array(("{not json " + String(repeating: "x", count: 500)).utf8)
        let unparsed = try await offload(endpoint).offload(garbage, deadline: .now + .seconds(5))
        XCTAssertEqual(unparsed, garbage)
        XCTAssertTrue(endpoint.sent.isEmpty)
    }

    func testBadBase64IsAnInvalidRequestAndAFailedUploadIsUnavailable() async throws {
        let bad = JSON.object(["image": .string("data:image/png;base64,@@@@" + String(repeating: "A", count: 200))])
        do {
            _ = try await offload(RecordingTransport(answers: [])).offload(
                bad.serialized(), deadline: .now + .seconds(5))
            XCTFail("accepted bad base64")
        } catch {
            XCTAssertEqual((error as? FrontDoorError)?.errorType, "FrontDoor.InvalidRequest")
        }
        let good = JSON.object(["image": .string(image([UInt8](repeating: 1, count: 300)))])
        let denied = HTTPResponse(status: 403, body: Array("<Error><Code>AccessDenied</Code></Error>".utf8))
        do {
            _ = try await offload(RecordingTransport(answers: [denied])).offload(
                good.serialized(), deadline: .now + .seconds(5))
            XCTFail("an upload S3 refused was ignored")
        } catch {
            XCTAssertEqual((error as? FrontDoorError)?.errorType, "FrontDoor.Unavailable")
        }
    }

    func testOnlyBodiesThatRunOnTheStateMachineMustFitAnExecution() throws {
        let text = String(repeating: "x", count: StepFunctionsBackend.maximumInputBytes)
        func request(_ path: String, stream: Bool) -> FrontDoorRequest {
            let body = JSON.object([
                "stream": .bool(stream), "messages": .array([.object(["role": "user", "content": .string(text)])]),
            ])
            return FrontDoorRequest(method: "POST", path: path, headers: [], body: body.serialized())
        }
        XCTAssertThrowsError(try BodyOffload.checkFitsExecution(request("/v1/chat/completions", stream: false)))
        XCTAssertThrowsError(try BodyOffload.checkFitsExecution(request("/v1/detect", stream: false)))
        // Streams and embeddings run in process: no execution, no 256 KiB limit.
        XCTAssertNoThrow(try BodyOffload.checkFitsExecution(request("/v1/chat/completions", stream: true)))
        XCTAssertNoThrow(try BodyOffload.checkFitsExecution(request("/v1/embeddings", stream: false)))
        let small = FrontDoorRequest(method: "POST", path: "/v1/chat/completions", headers: [], body: Array("{}".utf8))
        XCTAssertNoThrow(try BodyOffload.checkFitsExecution(small))
    }

    func testUploadLocationParsing() throws {
        XCTAssertEqual(try UploadLocation(parsing: "s3://b-1/uploads", variable: "X").prefix, "uploads/")
        XCTAssertEqual(try UploadLocation(parsing: "s3://b-1/", variable: "X").prefix, "")
        XCTAssertThrowsError(try UploadLocation(parsing: "https://b-1/uploads", variable: "X"))
        XCTAssertThrowsError(try UploadLocation(parsing: "s3://b/x", variable: "X"))
    }
}
