import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardProviders
import XCTest

final class RequestValidationTests: XCTestCase {
    let candidates = [InputCandidate(provider: "openai", model: "gpt")]
    static let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="

    func validate(_ messages: [InputMessage]) -> LLMError? {
        do {
            _ = try RequestValidation.chatRequest(
                from: LLMCallInput(requestId: "r", messages: messages, candidates: candidates))
            return nil
        } catch { return error }
    }

    func testBadInputIsRefusedWithThePath() {
        XCTAssertEqual(validate([]), .invalidRequest("messages: at least one message is required"))
        XCTAssertEqual(
            validate([InputMessage(role: "robot", content: .text("hi"))])?.errorMessage,
            "messages[0].role: \"robot\" is not one of system, user, assistant")
        XCTAssertEqual(validate([InputMessage(role: "user", content: .text(""))])?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(
            validate([InputMessage(role: "system", content: .text("only a system prompt"))])?.errorType,
            "LLM.InvalidRequest")
        let notImage = InputPart(type: "image", mediaType: "image/png", data: "SGVsbG8sIHdvcmxkISBUaGlzIGlzIHRleHQu")
        XCTAssertEqual(
            validate([InputMessage(role: "user", content: .parts([notImage]))])?.errorMessage,
            "messages[0].content[0].data: not a JPEG, PNG, GIF or WebP image")
        let mislabelled = InputPart(type: "image", mediaType: "image/jpeg", data: Self.png)
        XCTAssertEqual(
            validate([InputMessage(role: "user", content: .parts([mislabelled]))])?.errorMessage,
            "messages[0].content[0].data: the bytes are image/png, but mediaType says image/jpeg")
        let garbage = InputPart(type: "image", mediaType: "image/png", data: "!!!not base64!!!")
        XCTAssertEqual(
            validate([InputMessage(role: "user", content: .parts([garbage]))])?.errorType, "LLM.InvalidRequest")
        let ftp = InputPart(type: "image", url: "ftp://example.com/cat.png")
        XCTAssertEqual(validate([InputMessage(role: "user", content: .parts([ftp]))])?.errorType, "LLM.InvalidRequest")
    }

    func testValidImagesAndDataURLsPass() throws {
        let inline = InputPart(type: "image", mediaType: "image/png", data: Self.png)
        let dataURL = InputPart(type: "image", url: "data:image/png;base64," + Self.png)
        XCTAssertNil(
            validate([
                InputMessage(role: "user", content: .parts([InputPart(type: "text", text: "what?"), inline, dataURL]))
            ]))
        // OpenAI's content-part form, as clients send it to the router.
        let json =
            #"{"requestId":"r","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/cat.jpg"}}]}],"candidates":[{"provider":"openai","model":"gpt"}]}"#
        let request = try RequestValidation.chatRequest(from: JSON.decode(LLMCallInput.self, from: json))
        XCTAssertEqual(request.messages[0].content, [.image(.url("https://x/cat.jpg"))])
    }

    func testEventDecodesStringAndPartContent() throws {
        let json =
            #"{"requestId":"r","messages":[{"role":"user","content":"hi"},{"role":"user","content":[{"type":"text","text":"yo"}]}],"candidates":[{"provider":"openai","model":"gpt","timeoutMs":500}]}"#
        let input = try JSON.decode(LLMCallInput.self, from: json)
        XCTAssertEqual(input.messages[0].content, .text("hi"))
        XCTAssertEqual(input.messages[1].content, .parts([InputPart(type: "text", text: "yo")]))
        XCTAssertEqual(input.candidates[0].timeoutMs, 500)
    }
}
