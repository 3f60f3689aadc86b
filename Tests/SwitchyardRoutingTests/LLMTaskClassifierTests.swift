import SwitchyardContract
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting
import XCTest

/// A protocol-exact stand-in for an OpenAI-compatible `/v1/chat/completions` endpoint, behind the
/// shared `HTTPTransport` the classifier calls through.
final class FakeChatEndpoint: HTTPTransport, @unchecked Sendable {
    var content: String?
    var status = 200
    var delay: Duration = .zero
    var requests: [HTTPRequest] = []

    init(content: String?) { self.content = content }

    func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError) -> HTTPResponse {
        requests.append(request)
        if delay > .zero {
            let wait = min(delay, deadline - ContinuousClock.now)
            try? await Task.sleep(for: max(wait, .zero))
            if ContinuousClock.now >= deadline { throw .timeout(milliseconds: 0) }
        }
        var message: JSON = ["role": "assistant"]
        if case .object(var object) = message {
            object.members.append((key: "content", value: content.map { .string($0) } ?? .null))
            message = .object(object)
        }
        let response: JSON = [
            "id": "chatcmpl-1", "object": "chat.completion", "model": "smollm2-135m",
            "choices": [["index": 0, "message": message, "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 80, "completion_tokens": 12, "total_tokens": 92],
        ]
        return HTTPResponse(status: status, body: response.serialized())
    }

    func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead {
        throw .timeout(milliseconds: 0)
    }
}

final class LLMTaskClassifierTests: XCTestCase {
    let input = ClassificationInput(
        text: "Please review this NDA clause for enforceability.", imageCount: 0, modality: .text)

    func classifier(_ endpoint: FakeChatEndpoint, timeout: Duration = .seconds(2)) -> LLMTaskClassifier {
        LLMTaskClassifier(
            transport: endpoint, baseURL: "http://127.0.0.1:8765/v1/", model: "smollm2-135m", apiKey: "k-123",
            timeout: timeout)
    }

    func testValidVerdictIsUsedAndRequestIsWellFormed() async throws {
        let endpoint = FakeChatEndpoint(content: #"{"category": "legal", "difficulty": "hard"}"#)
        let result = await classifier(endpoint).classify(input, deadline: .now + .seconds(5))
        XCTAssertEqual(result.category, .legal)
        XCTAssertEqual(result.difficulty, .hard)
        XCTAssertEqual(result.classifier, "llm")
        XCTAssertNil(result.fallbackReason)
        XCTAssertNotNil(result.llmLatencyMs)

        let request = try XCTUnwrap(endpoint.requests.first)
        XCTAssertEqual(request.method, .post)
        XCTAssertEqual(request.url, "http://127.0.0.1:8765/v1/chat/completions")
        XCTAssertEqual(request.headers["Authorization"], "Bearer k-123")
        let body = try JSON.parse(request.body)
        XCTAssertEqual(body["model"]?.stringValue, "smollm2-135m")
        XCTAssertEqual(body["temperature"]?.doubleValue, 0)
        XCTAssertEqual(body["max_tokens"]?.int64Value, 40)
        XCTAssertEqual(body["response_format"]?["type"]?.stringValue, "json_object")
        XCTAssertEqual(body["response_format"]?["schema"]?["required"], ["category", "difficulty"])
        XCTAssertEqual(body["messages"]?[0]?["role"]?.stringValue, "system")
        XCTAssertEqual(body["messages"]?[1]?["content"]?.stringValue, input.text)
    }

    func testCodeFencedVerdictIsAccepted() async {
        let endpoint = FakeChatEndpoint(content: "```json\n{\"category\":\"code\",\"difficulty\":\"easy\"}\n```")
        let result = await classifier(endpoint).classify(input, deadline: .now + .seconds(5))
        XCTAssertEqual(result.category, .code)
        XCTAssertEqual(result.classifier, "llm")
    }

    func testInvalidAnswersFallBackToHeuristic() async {
        let answers: [(String?, String)] = [
            ("I think this is legal.", "not a JSON object"),
            (#"{"category": "law", "difficulty": "hard"}"#, "unknown category"),
            (#"{"category": "legal", "difficulty": "extreme"}"#, "unknown difficulty"),
            (#"{"category": "detection", "difficulty": "easy"}"#, "unknown category"),
            (nil, "not a JSON object"),
            (#"{"category": "legal"} trailing"#, "not a JSON object"),
        ]
        for (content, reason) in answers {
            let result = await classifier(FakeChatEndpoint(content: content)).classify(
                input, deadline: .now + .seconds(5))
            XCTAssertEqual(result.classifier, "heuristic", String(describing: content))
            XCTAssertEqual(result.category, .legal, "the heuristic's verdict")
            XCTAssertTrue(
                result.fallbackReason?.contains(reason) ?? false,
                "\(String(describing: result.fallbackReason)) for \(String(describing: content))")
        }
    }

    func testHTTPErrorFallsBack() async {
        let endpoint = FakeChatEndpoint(content: "{}")
        endpoint.status = 503
        let result = await classifier(endpoint).classify(input, deadline: .now + .seconds(5))
        XCTAssertEqual(result.classifier, "heuristic")
        XCTAssertEqual(result.fallbackReason, "classifier answered HTTP 503")
    }

    func testTimeoutFallsBackWithinTheDeadline() async {
        let endpoint = FakeChatEndpoint(content: #"{"category": "legal", "difficulty": "hard"}"#)
        endpoint.delay = .seconds(3)
        let start = ContinuousClock.now
        let result = await classifier(endpoint, timeout: .milliseconds(100)).classify(
            input, deadline: .now + .seconds(5))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
        XCTAssertEqual(result.classifier, "heuristic")
        XCTAssertEqual(result.fallbackReason, "classifier timed out")
    }

    func testImagesSkipTheModel() async {
        let endpoint = FakeChatEndpoint(content: #"{"category": "legal", "difficulty": "hard"}"#)
        let result = await classifier(endpoint).classify(
            ClassificationInput(text: "count the cars", imageCount: 1, modality: .imageText),
            deadline: .now + .seconds(5))
        XCTAssertEqual(result.category, .detection)
        XCTAssertTrue(endpoint.requests.isEmpty)
    }
}
