import SwitchyardContract
import SwitchyardRouting
import XCTest

final class RouterErrorTests: XCTestCase {
    private func assertError(
        _ expected: String, _ input: RouterInput, mentions: String? = nil, file: StaticString = #filePath,
        line: UInt = #line
    ) {
        XCTAssertThrowsError(try RoutingFixtures.decide(input), file: file, line: line) { error in
            guard let e = error as? RouterError else { return XCTFail("\(error)", file: file, line: line) }
            XCTAssertEqual(e.errorType, expected, e.errorMessage, file: file, line: line)
            XCTAssertTrue(RouterError.allErrorTypes.contains(e.errorType), file: file, line: line)
            if let mentions { XCTAssertTrue(e.errorMessage.contains(mentions), e.errorMessage, file: file, line: line) }
        }
    }

    func testUnknownTenant() {
        assertError("Router.UnknownTenant", RoutingFixtures.input(tenant: "nobody", prompt: "hi"), mentions: "nobody")
        assertError("Router.UnknownTenant", RoutingFixtures.input(tenant: "", prompt: "hi"))
    }

    func testUnknownModel() {
        assertError(
            "Router.UnknownModel",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(model: "gpt-7")),
            mentions: "gpt-7")
    }

    func testModelNotAllowedForTier() {
        assertError(
            "Router.ModelNotAllowed",
            RoutingFixtures.input(tenant: "acme-startup", prompt: "hi", hints: RoutingHints(model: "gpt-4o")),
            mentions: "basic tier")
    }

    func testEmptyPrompt() {
        assertError("Router.EmptyPrompt", RoutingFixtures.input(tenant: "initech"), mentions: "send messages")
        assertError(
            "Router.EmptyPrompt", RoutingFixtures.input(tenant: "initech", prompt: "   \n\t "), mentions: "blank")
        var chat = RoutingFixtures.input(tenant: "initech")
        chat.messages = [ChatMessage(role: "user", text: "")]
        assertError("Router.EmptyPrompt", chat)
        assertError(
            "Router.EmptyPrompt",
            RoutingFixtures.input(
                tenant: "initech", batch: [SwitchyardRouting.BatchItem(id: "a", prompt: "x"), BatchItem(id: "b")]),
            mentions: "batch[1]")
    }

    func testPromptTooLarge() {
        let huge = String(repeating: "a", count: RoutingFixtures.policy.limits.maxPromptBytes + 1)
        assertError("Router.PromptTooLarge", RoutingFixtures.input(tenant: "initech", prompt: huge), mentions: "bytes")
        let images = Array(repeating: RoutingFixtures.photo, count: 9)
        assertError(
            "Router.PromptTooLarge", RoutingFixtures.input(tenant: "initech", prompt: "what is this", images: images),
            mentions: "9 images")
        let big = ImageRef(url: "s3://b/k.png", sizeBytes: 50_000_000)
        assertError("Router.PromptTooLarge", RoutingFixtures.input(tenant: "initech", images: [big]), mentions: "s3://")
        // Fits the byte limit but not smollm2's 2k context.
        let medium = String(repeating: "word ", count: 3000)
        assertError(
            "Router.PromptTooLarge",
            RoutingFixtures.input(tenant: "initech", prompt: medium, hints: RoutingHints(model: "smollm2-135m")),
            mentions: "context window")
    }

    func testUnsupportedContent() {
        let ftp = ImageRef(url: "ftp://example/cat.jpg")
        assertError(
            "Router.UnsupportedContent", RoutingFixtures.input(tenant: "initech", images: [ftp]), mentions: "ftp")
        let tiff = ImageRef(url: "s3://bucket/scan.tiff")
        assertError(
            "Router.UnsupportedContent", RoutingFixtures.input(tenant: "initech", images: [tiff]),
            mentions: "image/tiff")
        var audio = RoutingFixtures.input(tenant: "initech")
        audio.messages = [ChatMessage(role: "user", content: .parts([ContentPart(type: "input_audio")]))]
        assertError("Router.UnsupportedContent", audio, mentions: "input_audio")
        assertError(
            "Router.UnsupportedContent",
            RoutingFixtures.input(
                tenant: "initech", prompt: "what is this?", images: [RoutingFixtures.photo],
                hints: SwitchyardRouting.RoutingHints(model: "claude-3-5-haiku")),
            mentions: "image input")
        assertError(
            "Router.UnsupportedContent",
            RoutingFixtures.input(tenant: "initech", prompt: "hello", hints: RoutingHints(model: "yolov8n-lambda")),
            mentions: "needs an image")
        assertError(
            "Router.UnsupportedContent", RoutingFixtures.input(tenant: "initech", images: [ImageRef()]),
            mentions: "neither")
    }

    func testContradictoryHints() {
        assertError(
            "Router.ContradictoryHints",
            RoutingFixtures.input(
                tenant: "initech", prompt: "hi", hints: RoutingHints(route: "cheapest", model: "gpt-4o")),
            mentions: "hints.route")
        assertError(
            "Router.ContradictoryHints",
            RoutingFixtures.input(
                tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: 500, model: "claude-3-opus")),
            mentions: "max_latency_ms")
        assertError(
            "Router.ContradictoryHints",
            RoutingFixtures.input(
                tenant: "initech", prompt: "long essay please",
                hints: SwitchyardRouting.RoutingHints(maxCostUSD: 0.000002, model: "claude-3-opus")),
            mentions: "cost cap")
        assertError(
            "Router.ContradictoryHints",
            RoutingFixtures.input(
                tenant: "initech", hints: SwitchyardRouting.RoutingHints(route: "fastest"),
                batch: [BatchItem(prompt: "a")]),
            mentions: "batch")
        assertError(
            "Router.ContradictoryHints",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(category: "detection")),
            mentions: "needs an image")
    }

    func testInvalidHints() {
        assertError(
            "Router.InvalidHint",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(route: "cheap")),
            mentions: "hints.route")
        assertError(
            "Router.InvalidHint",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(maxCostUSD: -1)))
        assertError(
            "Router.InvalidHint",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: 0)))
        assertError(
            "Router.InvalidHint",
            RoutingFixtures.input(tenant: "initech", prompt: "hi", hints: RoutingHints(category: "poetry")))
    }

    func testNoEligibleModel() {
        assertError(
            "Router.NoEligibleModel",
            RoutingFixtures.input(tenant: "acme-startup", prompt: "hello", hints: RoutingHints(maxLatencyMs: 10)),
            mentions: "expected latency above 10 ms")
        assertError(
            "Router.NoEligibleModel",
            RoutingFixtures.input(
                tenant: "initech", prompt: "write an essay", hints: RoutingHints(maxCostUSD: 0.000001)),
            mentions: "estimated cost above 1 micro-USD")
    }

    func testBudgetExceededHasItsType() {
        XCTAssertThrowsError(try RoutingFixtures.decide(tenant: "acme-startup", prompt: "hi", spend: 6_000_000)) {
            XCTAssertEqual(($0 as? RouterError)?.errorType, "Router.BudgetExceeded")
        }
    }

    func testEveryMessageIsOneLineWithoutThePrompt() {
        let secret = "my-secret-prompt-text"
        do {
            _ = try RoutingFixtures.decide(tenant: "nobody", prompt: secret)
            XCTFail("expected an error")
        } catch {
            XCTAssertFalse(error.errorMessage.contains(secret))
            XCTAssertFalse(error.errorMessage.contains("\n"))
        }
    }
}
