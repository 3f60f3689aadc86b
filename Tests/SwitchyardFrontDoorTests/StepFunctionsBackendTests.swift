import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import Synchronization
import XCTest

@testable import SwitchyardFrontDoor

/// The front door over the Step Functions backend: a whole answer is one StartSyncExecution of the
/// configured state machine, its LLM outcome becomes the completion, and every way an execution
/// can end without one becomes an OpenAI-shaped 502; streams and embeddings stay in process.
final class StepFunctionsBackendTests: XCTestCase {
    let arn = "arn:aws:states:eu-west-1:123456789012:stateMachine:switchyard"
    let chatBody = #"{"model": "auto", "messages": [{"role": "user", "content": "Capital of France?"}]}"#
    var key: APIKey!
    var store: KeyStore!
    var fake: FakeBackend!
    var ledger: MemoryLedger!
    var queue: MemoryQueue!

    override func setUpWithError() throws {
        store = try KeyStore()
        key = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        fake = try FakeBackend()
        ledger = MemoryLedger()
        queue = MemoryQueue()
    }

    func service(_ endpoint: RecordingTransport) -> FrontDoorService {
        let client = StepFunctionsClient(
            endpoint: "https://sync-states.eu-west-1.amazonaws.com",
            signer: SigV4Signer(
                credentials: AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret"),
                region: "eu-west-1", service: "states"),
            transport: endpoint)
        return FrontDoorService(
            keys: KeyRing(store: store),
            backend: StepFunctionsBackend(local: fake, stepFunctions: client, stateMachineArn: arn),
            billing: FrontDoorBilling(ledger: ledger, queue: queue))
    }

    func post(_ service: FrontDoorService, _ body: String) async -> FrontDoorResponse {
        await service.handle(
            FrontDoorRequest(
                method: "POST", path: "/v1/chat/completions",
                headers: [(name: "Authorization", value: "Bearer \(key.text)")], body: Array(body.utf8)))
    }

    /// StartSyncExecution's answer for an execution that ended with `status`.
    func execution(_ status: String, output: String? = nil, error: String? = nil, cause: String? = nil)
        -> HTTPResponse
    {
        var document: JSONObject = ["status": .string(status), "executionArn": .string(arn + ":x")]
        if let output { document["output"] = .string(output) }
        if let error { document["error"] = .string(error) }
        if let cause { document["cause"] = .string(cause) }
        return HTTPResponse(status: 200, body: JSON.object(document).serialized())
    }

    /// What the state machine answers for `request`: the fake's pipeline (route, then the LLM).
    func pipelineOutput(for request: InferenceRequest) async throws -> String {
        String(decoding: try JSON.encode(await fake.run(request, deadline: .now + .seconds(5))), as: UTF8.self)
    }

    func testAWholeAnswerIsOneSignedSyncExecutionOfTheConfiguredStateMachine() async throws {
        // The execution's output must answer the request the front door sends: build it from the sent input.
        let probe = RecordingTransport(answers: [execution("FAILED", error: "probe")])
        _ = await post(service(probe), chatBody)
        let sentInput = try XCTUnwrap(JSON.parse(probe.sent[0].body)["input"]?.stringValue)
        let request = try JSON.decode(InferenceRequest.self, from: Array(sentInput.utf8))
        ledger = MemoryLedger()

        let endpoint = RecordingTransport(answers: [
            execution("SUCCEEDED", output: try await pipelineOutput(for: request))
        ])
        let response = await post(service(endpoint), chatBody)
        XCTAssertEqual(response.status, 200, String(decoding: response.bytes ?? [], as: UTF8.self))
        let body = try JSON.parse(response.bytes ?? [])
        XCTAssertEqual(body["choices"]?[0]?["message"]?["content"]?.stringValue, "Paris.")
        XCTAssertEqual(body["usage"]?["completion_tokens"]?.int64Value, 4)

        let sent = try XCTUnwrap(endpoint.sent.first)
        XCTAssertEqual(endpoint.sent.count, 1)
        XCTAssertEqual(sent.url, "https://sync-states.eu-west-1.amazonaws.com/")
        XCTAssertEqual(sent.headers["X-Amz-Target"], "AWSStepFunctions.StartSyncExecution")
        XCTAssertEqual(sent.headers["Content-Type"], "application/x-amz-json-1.0")
        let authorization = try XCTUnwrap(sent.headers["Authorization"])
        XCTAssertTrue(authorization.contains("/eu-west-1/states/aws4_request"), authorization)
        let document = try JSON.parse(sent.body)
        XCTAssertEqual(document["stateMachineArn"]?.stringValue, arn)
        let input = try JSON.decode(
            InferenceRequest.self, from: Array(try XCTUnwrap(document["input"]?.stringValue).utf8))
        // The tenant is the key's; the request id is the one the answer carries.
        XCTAssertEqual(input.tenantID, "acme")
        XCTAssertEqual(input.requestID, response.headers.first { $0.0 == "x-request-id" }?.1)
        // The ceiling of the admission decision was reserved before the execution ran.
        let reserved = ledger.state.withLock { $0 }
        XCTAssertEqual(reserved.committed, 5_000_000_000)
        XCTAssertEqual(reserved.open, [input.requestID])
    }

    func testATimedOutExecutionIsAnOpenAIShaped502() async throws {
        let response = await post(service(RecordingTransport(answers: [execution("TIMED_OUT")])), chatBody)
        XCTAssertEqual(response.status, 502)
        let error = try XCTUnwrap(JSON.parse(response.bytes ?? [])["error"])
        XCTAssertEqual(error["type"]?.stringValue, "upstream_error")
        XCTAssertEqual(error["code"]?.stringValue, "States.Timeout")
        XCTAssertEqual(error["switchyard_error_type"]?.stringValue, "FrontDoor.UpstreamFailed")
    }

    func testAFailedExecutionNamesItsError() async throws {
        let endpoint = RecordingTransport(answers: [
            execution("FAILED", error: "Switchyard.UsageNotQueued", cause: "the usage queue refused the records")
        ])
        let response = await post(service(endpoint), chatBody)
        XCTAssertEqual(response.status, 502)
        XCTAssertEqual(try JSON.parse(response.bytes ?? [])["error"]?["code"]?.stringValue, "Switchyard.UsageNotQueued")
    }

    func testAStartTheServiceRefusesIsA502WithTheAWSError() async throws {
        let refusal = HTTPResponse(
            status: 400,
            body: Array(
                #"{"__type":"com.amazonaws.swf.service.v2.model#StateMachineDoesNotExist","message":"no"}"#.utf8))
        let response = await post(service(RecordingTransport(answers: [refusal])), chatBody)
        XCTAssertEqual(response.status, 502)
        XCTAssertEqual(try JSON.parse(response.bytes ?? [])["error"]?["code"]?.stringValue, "AWS.ServiceError")
    }

    /// A refusal to run now (throttling, the execution limit) is the client's 429 with `retry-after`
    /// (the openai client waits and retries), not a 502; other refusals stay 502.
    func assertThrottled(_ response: FrontDoorResponse, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(
            response.status, 429, String(decoding: response.bytes ?? [], as: UTF8.self), file: file, line: line)
        XCTAssertEqual(response.headers.first { $0.0 == "retry-after" }?.1, "1", file: file, line: line)
        XCTAssertNil(response.headers.first { $0.0 == "x-should-retry" }, file: file, line: line)
        let error = try XCTUnwrap(JSON.parse(response.bytes ?? [])["error"], file: file, line: line)
        XCTAssertEqual(error["type"]?.stringValue, "rate_limit_error", file: file, line: line)
        XCTAssertEqual(error["code"]?.stringValue, "pipeline_throttled", file: file, line: line)
        XCTAssertEqual(
            error["switchyard_error_type"]?.stringValue, "FrontDoor.StateMachineThrottled", file: file, line: line)
    }

    func testAThrottledStartIsA429WithRetryAfter() async throws {
        let throttled = HTTPResponse(
            status: 400, body: Array(#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.utf8))
        try assertThrottled(await post(service(RecordingTransport(answers: [throttled])), chatBody))
    }

    func testTheExecutionLimitIsA429WithRetryAfter() async throws {
        let limit = HTTPResponse(
            status: 400,
            body: Array(
                #"{"__type":"com.amazonaws.swf.service.v2.model#ExecutionLimitExceeded","message":"limit"}"#.utf8))
        try assertThrottled(await post(service(RecordingTransport(answers: [limit])), chatBody))
    }

    func testLambdaThrottlingThatOutlastedTheRetriesIsA429() async throws {
        let endpoint = RecordingTransport(answers: [
            execution("FAILED", error: "Lambda.TooManyRequestsException", cause: "Rate Exceeded.")
        ])
        try assertThrottled(await post(service(endpoint), chatBody))
    }

    func testAThrottledDetectIsA429Too() async throws {
        let throttled = HTTPResponse(
            status: 429, body: Array(#"{"__type":"ThrottlingException","message":"Rate exceeded"}"#.utf8))
        let response = await service(RecordingTransport(answers: [throttled])).handle(
            FrontDoorRequest(
                method: "POST", path: "/v1/detect",
                headers: [(name: "Authorization", value: "Bearer \(key.text)")],
                body: Array(#"{"image": "https://images.example.com/cat.jpg"}"#.utf8)))
        try assertThrottled(response)
    }

    func testOutputThatIsNotAPipelineResponseIsA502() async throws {
        let response = await post(
            service(RecordingTransport(answers: [execution("SUCCEEDED", output: #"{"route": 7}"#)])), chatBody)
        XCTAssertEqual(response.status, 502)
        XCTAssertEqual(
            try JSON.parse(response.bytes ?? [])["error"]?["code"]?.stringValue, "FrontDoor.MalformedPipelineOutput")
    }

    func testStreamsStayInProcess() async throws {
        let endpoint = RecordingTransport(answers: [])
        let body = #"{"model": "auto", "stream": true, "messages": [{"role": "user", "content": "Capital?"}]}"#
        let response = await post(service(endpoint), body)
        XCTAssertEqual(response.status, 200)
        guard case .events(let stream) = response.body else { return XCTFail("not a stream") }
        var text = ""
        for await event in stream.events { text += String(decoding: event, as: UTF8.self) }
        XCTAssertTrue(text.contains("Par") && text.hasSuffix("data: [DONE]\n\n"), text)
        XCTAssertTrue(endpoint.sent.isEmpty, "Step Functions cannot stream")
    }

    func testAnInputOverExpressLimitIsRefusedWithoutAStart() async throws {
        let endpoint = RecordingTransport(answers: [])
        let backend = StepFunctionsBackend(
            local: fake,
            stepFunctions: StepFunctionsClient(
                endpoint: "https://sync-states.eu-west-1.amazonaws.com",
                signer: SigV4Signer(
                    credentials: AWSCredentials(accessKeyID: "A", secretAccessKey: "s"), region: "eu-west-1",
                    service: "states"),
                transport: endpoint),
            stateMachineArn: arn)
        let big = InferenceRequest(
            requestID: "r1", tenantID: "acme",
            messages: [
                Message(role: .user, text: String(repeating: "x", count: StepFunctionsBackend.maximumInputBytes))
            ])
        let response = await backend.run(big, deadline: .now + .seconds(5))
        XCTAssertEqual(response.status, .failed)
        XCTAssertEqual(response.error?.errorType, "FrontDoor.PayloadTooLarge")
        XCTAssertTrue(endpoint.sent.isEmpty)
    }
}
