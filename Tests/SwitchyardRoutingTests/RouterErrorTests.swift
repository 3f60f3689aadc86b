import SwitchyardContract
import SwitchyardRouterFunction
import SwitchyardRouting
import XCTest

/// Every refusal is a typed decision: `route: rejected` with `rejection.errorType` from the fixed
/// set, through the handler (no Lambda error), and a typed `RouterError` from the pure parts.
final class RouterErrorTests: XCTestCase {
    let handler = RouterHandler(router: RoutingFixtures.router, signals: InMemoryRoutingSignals())

    private func assertRejected(
        _ expected: String, _ request: InferenceRequest, mentions: String? = nil, signals: SignalsSnapshot = .none,
        file: StaticString = #filePath, line: UInt = #line
    ) async {
        // The pure parts throw the typed error…
        do {
            _ = try RoutingFixtures.decide(request, signals: signals)
            XCTFail("expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error.errorType, expected, error.errorMessage, file: file, line: line)
            XCTAssertTrue(RouterError.allErrorTypes.contains(error.errorType), file: file, line: line)
            if let mentions {
                XCTAssertTrue(error.errorMessage.contains(mentions), error.errorMessage, file: file, line: line)
            }
            XCTAssertFalse(error.errorMessage.contains("\n"), file: file, line: line)
        }
        // …and the handler answers with a rejected decision (signals only matter to the pure part here).
        guard signals == .none else { return }
        let decision = await handler.route(request, deadline: .now + .seconds(2))
        XCTAssertEqual(decision.route, .rejected, file: file, line: line)
        XCTAssertEqual(decision.rejection?.errorType, expected, file: file, line: line)
        XCTAssertNil(decision.strategy, file: file, line: line)
        XCTAssertNil(decision.llm, file: file, line: line)
        XCTAssertNil(decision.vision, file: file, line: line)
        XCTAssertEqual(decision.context.route, "rejected \(expected)", file: file, line: line)
    }

    func testUnknownTenant() async {
        await assertRejected(
            "Router.UnknownTenant", RoutingFixtures.request(tenant: "nobody", prompt: "hi"), mentions: "nobody")
        await assertRejected("Router.UnknownTenant", RoutingFixtures.request(tenant: "", prompt: "hi"))
    }

    func testUnknownModel() async {
        await assertRejected(
            "Router.UnknownModel",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(model: "gpt-7")),
            mentions: "gpt-7")
    }

    func testModelNotAllowedForTier() async {
        await assertRejected(
            "Router.ModelNotAllowed",
            RoutingFixtures.request(tenant: "acme-startup", prompt: "hi", hints: RoutingHints(model: "gpt-4o")),
            mentions: "basic tier")
    }

    func testEmptyPrompt() async {
        await assertRejected(
            "Router.EmptyPrompt", RoutingFixtures.request(tenant: "initech"), mentions: "send messages")
        await assertRejected(
            "Router.EmptyPrompt", RoutingFixtures.request(tenant: "initech", prompt: "   \n\t "), mentions: "blank")
        await assertRejected(
            "Router.EmptyPrompt",
            RoutingFixtures.request(tenant: "initech", batch: [BatchItem(id: "a", text: "x"), BatchItem(id: "b")]),
            mentions: "batch[1]")
    }

    func testPromptTooLarge() async {
        let huge = String(repeating: "a", count: RoutingFixtures.policy.limits.maxPromptBytes + 1)
        await assertRejected(
            "Router.PromptTooLarge", RoutingFixtures.request(tenant: "initech", prompt: huge), mentions: "bytes")
        let images = Array(repeating: RoutingFixtures.photo, count: 9)
        await assertRejected(
            "Router.PromptTooLarge", RoutingFixtures.request(tenant: "initech", prompt: "what is this", images: images),
            mentions: "9 images")
        // 8 MiB of inline base64 is 6 MiB of image, above the policy's 5 MiB.
        let big = try! ImageReference(parsing: "data:image/png;base64," + String(repeating: "A", count: 8 << 20))
        await assertRejected(
            "Router.PromptTooLarge", RoutingFixtures.request(tenant: "initech", images: [big]), mentions: "images[0]")
        // Fits the byte limit but not smollm2's 2k context.
        let medium = String(repeating: "word ", count: 3000)
        await assertRejected(
            "Router.PromptTooLarge",
            RoutingFixtures.request(tenant: "initech", prompt: medium, hints: RoutingHints(model: "smollm2-135m")),
            mentions: "context window")
    }

    func testUnsupportedContent() async {
        let tiff = try! ImageReference(parsing: "s3://bucket/scan.tiff")
        await assertRejected(
            "Router.UnsupportedContent", RoutingFixtures.request(tenant: "initech", images: [tiff]),
            mentions: "image/tiff")
        let gif = try! ImageReference(parsing: "data:image/gif;base64,R0lGODlh")
        await assertRejected(
            "Router.UnsupportedContent", RoutingFixtures.request(tenant: "initech", images: [gif]),
            mentions: "image/gif")
        await assertRejected(
            "Router.UnsupportedContent",
            RoutingFixtures.request(
                tenant: "initech", prompt: "what is this?", images: [RoutingFixtures.photo],
                hints: RoutingHints(model: "claude-3-5-haiku")),
            mentions: "image input")
        await assertRejected(
            "Router.UnsupportedContent",
            RoutingFixtures.request(tenant: "initech", prompt: "hello", hints: RoutingHints(model: "yolov8n-lambda")),
            mentions: "needs an image")
    }

    func testContradictoryHints() async {
        await assertRejected(
            "Router.ContradictoryHints",
            RoutingFixtures.request(
                tenant: "initech", prompt: "hi", hints: RoutingHints(route: .cheapest, model: "gpt-4o")),
            mentions: "hints.route")
        await assertRejected(
            "Router.ContradictoryHints",
            RoutingFixtures.request(
                tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: 500, model: "claude-3-opus")),
            mentions: "latency cap of 500 ms")
        await assertRejected(
            "Router.ContradictoryHints",
            RoutingFixtures.request(
                tenant: "initech", prompt: "long essay please",
                hints: RoutingHints(maxCostPicoUSD: PicoUSD(2_000_000), model: "claude-3-opus")),
            mentions: "cost cap")
        await assertRejected(
            "Router.ContradictoryHints",
            RoutingFixtures.request(
                tenant: "initech", hints: RoutingHints(route: .fastest), batch: [BatchItem(id: "a", text: "a")]),
            mentions: "batch")
        await assertRejected(
            "Router.ContradictoryHints",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(category: .detection)),
            mentions: "needs an image")
    }

    func testInvalidHints() async {
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(route: .explicit)),
            mentions: "hints.route")
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(maxCostPicoUSD: PicoUSD(-1))))
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: 0)))
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(maxLatencyMs: Int.max)))
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(model: "gpt 4o\u{7}")))
        await assertRejected(
            "Router.InvalidHint",
            RoutingFixtures.request(tenant: "initech", prompt: "hi", hints: RoutingHints(confidenceThreshold: 0)))
    }

    /// Issue 12: `max_output_tokens: 1e12` (now `parameters.maxTokens`) trapped in the cost arithmetic.
    func testATopPOfZeroIsRefusedAtRoutingAsTheLLMCallerWouldRefuseIt() async {
        for topP in [0.0, -0.1, 1.5, .nan] {
            await assertRejected(
                "Router.InvalidRequest",
                RoutingFixtures.request(tenant: "initech", prompt: "hi", parameters: GenerationParameters(topP: topP)),
                mentions: "parameters.topP")
        }
    }

    func testHostileNumbersAreRangeCheckedAtTheBoundary() async {
        for tokens in [1_000_000_000_000, Int.max, 0, -5] {
            await assertRejected(
                "Router.InvalidRequest",
                RoutingFixtures.request(
                    tenant: "initech", prompt: "hi", parameters: GenerationParameters(maxTokens: tokens)),
                mentions: "parameters.maxTokens")
        }
        await assertRejected(
            "Router.InvalidRequest",
            RoutingFixtures.request(
                tenant: "initech", prompt: "hi", parameters: GenerationParameters(temperature: 1e300)))
        var badID = RoutingFixtures.request(tenant: "initech", prompt: "hi")
        badID.requestID = "line\nbreak"
        await assertRejected("Router.InvalidRequest", badID, mentions: "requestId")
        await assertRejected(
            "Router.InvalidRequest",
            RoutingFixtures.request(
                tenant: "initech", batch: [BatchItem(id: "same", text: "a"), BatchItem(id: "same", text: "b")]),
            mentions: "duplicate")
    }

    func testNoEligibleModel() async {
        await assertRejected(
            "Router.NoEligibleModel",
            RoutingFixtures.request(tenant: "acme-startup", prompt: "hello", hints: RoutingHints(maxLatencyMs: 10)),
            mentions: "expected latency above 10 ms")
        // Every detector costs more than 1 pico-USD (the free smollm2-135m would take any text request).
        await assertRejected(
            "Router.NoEligibleModel",
            RoutingFixtures.request(
                tenant: "initech", images: [RoutingFixtures.photo], hints: RoutingHints(maxCostPicoUSD: PicoUSD(1))),
            mentions: "estimated cost above $0.000000000001")
    }

    func testBudgetExceeded() async {
        await assertRejected(
            "Router.BudgetExceeded", RoutingFixtures.request(tenant: "acme-startup", prompt: "hi"),
            mentions: "$6.00 of its $5.00", signals: SignalsSnapshot(monthToDateSpend: RoutingFixtures.usd("6")))
    }

    func testNoMessageCarriesThePrompt() async {
        let secret = "my-secret-prompt-text"
        let decision = await handler.route(
            RoutingFixtures.request(tenant: "nobody", prompt: secret), deadline: .now + .seconds(1))
        XCTAssertEqual(decision.route, .rejected)
        XCTAssertFalse(decision.rejection!.errorMessage.contains(secret))
        XCTAssertFalse(decision.explanation.contains(secret))
    }
}
