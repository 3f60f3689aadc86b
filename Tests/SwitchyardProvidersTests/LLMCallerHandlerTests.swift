import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardProviders
import SwitchyardRuntime
import Synchronization
import XCTest

/// The llm-caller's handler on the contract: `LLMStepInput` in, `LLMOutcome` out, models from the
/// catalog only, usage records per attempt, failures as output.
final class LLMCallerHandlerTests: XCTestCase {
    static let catalog = try! Catalog(
        version: "test-1",
        models: [
            CatalogModel(
                id: "gpt-4o-mini", provider: .openAI, kind: .llm, providerModel: "gpt-4o-mini-2024-07-18",
                contextWindow: 128_000, maxOutputTokens: 16_384, capabilities: [.vision, .tools, .json, .streaming],
                latency: LatencyPrior(p50Ms: 800, p95Ms: 3000), quality: ["chat": 0.8], tiers: ["basic"]),
            CatalogModel(
                id: "claude-haiku", provider: .anthropic, kind: .llm, providerModel: "claude-3-5-haiku-latest",
                endpoint: "http://anthropic.test", contextWindow: 200_000, maxOutputTokens: 8192,
                capabilities: [.vision, .tools], latency: LatencyPrior(p50Ms: 900, p95Ms: 3000),
                quality: ["chat": 0.8], tiers: ["basic"]),
            CatalogModel(
                id: "smol", provider: .openAICompatible, kind: .llm, providerModel: "smollm2-135m",
                endpoint: "http://llama.test", contextWindow: 2048, latency: LatencyPrior(p50Ms: 900, p95Ms: 3000),
                quality: ["chat": 0.3], tiers: ["basic"]),
            CatalogModel(
                id: "yolov8n-lambda", provider: .lambda, kind: .vision, contextWindow: 0,
                latency: LatencyPrior(p50Ms: 90, p95Ms: 200), quality: ["detection": 0.5], tiers: ["basic"]),
        ])
    static let environment = Environment([
        "OPENAI_API_KEY": "sk-openai-configured", "ANTHROPIC_API_KEY": "sk-ant-configured",
        "LLM_OPENAI_BASE_URL": "http://openai.test", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "very-secret-aws-key", "AWS_REGION": "us-east-1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256", "LLM_RETRY_BASE_MS": "1",
    ])
    static let openAIOK = ScriptedTransport.Reply.response(
        HTTPResponse(
            status: 200, headers: ["x-request-id": "req_1"], body: Fixture.bytes("openai_chat_completion.json")))
    static let overloaded = ScriptedTransport.Reply.response(
        HTTPResponse(
            status: 529,
            body: Array(#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#.utf8)))

    let context = UsageContext(requestID: "req-1", tenantID: "acme", user: "u-1", tier: "basic", route: "llm cheapest")

    func handler(_ transport: ScriptedTransport, environment: Environment = environment) throws -> LLMCallerHandler {
        try LLMCallerHandler(
            configuration: LLMCallerConfiguration(environment: environment, catalog: Self.catalog),
            transport: transport)
    }

    func input(_ models: [ModelID], messages: [Message]? = nil, parameters: GenerationParameters? = nil)
        -> LLMStepInput
    {
        LLMStepInput(
            request: InferenceRequest(
                requestID: "req-1", tenantID: "acme",
                messages: messages ?? [Message(role: .system, text: "Be brief."), Message(role: .user, text: "Hi")],
                parameters: parameters),
            plan: LLMPlan(
                candidates: models.map { LLMCandidate(model: $0, attemptTimeoutMs: 5000, contextWindow: 128_000) },
                maxOutputTokens: 256),
            context: context)
    }

    func deadline() -> ContinuousClock.Instant { .now.advanced(by: .seconds(10)) }

    func testSuccessIsAStructuredOutcomeWithOneUsageRecord() async throws {
        let transport = ScriptedTransport([Self.openAIOK])
        let outcome = await try handler(transport).call(
            input(["gpt-4o-mini"]), invocationID: "lambda-req-9", deadline: deadline())
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(outcome.requestID, "req-1")
        let answer = try XCTUnwrap(outcome.answer)
        XCTAssertEqual(answer.model, "gpt-4o-mini")
        XCTAssertEqual(answer.provider, .openAI)
        XCTAssertEqual(answer.providerModel, "gpt-4o-2024-08-06", "as the provider reported it")
        XCTAssertFalse(answer.fallbackUsed)
        XCTAssertEqual(answer.tokens, UsageRecord.Tokens(input: 1117, output: 46, cached: 1024, reasoning: 12))
        XCTAssertEqual(outcome.attempts.map(\.outcome), ["ok"])
        // The request went where the configuration says, with the catalog's provider model name.
        let sent = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(sent.url, "http://openai.test/v1/chat/completions")
        XCTAssertEqual(sent.headers["authorization"], "Bearer sk-openai-configured")
        XCTAssertEqual(try JSON.parse(sent.body)["model"], "gpt-4o-mini-2024-07-18")
        XCTAssertEqual(try JSON.parse(sent.body)["user"], "u-1")
        XCTAssertEqual(outcome.usage.count, 1)
        let record = outcome.usage[0]
        XCTAssertEqual(record.requestID, "req-1")
        XCTAssertEqual(record.step, "llm")
        XCTAssertEqual(record.invocationID, "lambda-req-9")
        XCTAssertEqual(record.attempt, 0)
        XCTAssertEqual(record.tenant, "acme")
        XCTAssertEqual(record.tier, "basic")
        XCTAssertEqual(record.route, "llm cheapest")
        XCTAssertEqual(record.provider, .openAI)
        XCTAssertEqual(record.model, "gpt-4o-mini")
        XCTAssertEqual(record.providerModel, "gpt-4o-2024-08-06")
        XCTAssertEqual(record.tokens, answer.tokens)
        XCTAssertEqual(record.status, .succeeded)
        XCTAssertEqual(record.backend, .external)
        XCTAssertEqual(record.modality, .text)
        XCTAssertEqual(record.compute?.kind, "lambda")
        XCTAssertEqual(record.compute?.memoryMB, 256)
        XCTAssertEqual(record.compute?.architecture, ComputeEnvironment.binaryArchitecture)
        XCTAssertNil(record.cost, "the usage logger prices records")
    }

    /// Issue 12: an event naming an endpoint and a credential must not move the call or the key.
    func testHostileEventCannotRedirectTheCallOrChooseTheKey() async throws {
        let event = #"""
            {"request":{"requestId":"req-1","tenantId":"acme","messages":[{"role":"user","content":"hi"}]},
             "plan":{"maxOutputTokens":64,"groundWithDetections":false,"candidates":[
               {"model":"gpt-4o-mini","attemptTimeoutMs":5000,"contextWindow":128000,"estimatedCostPicoUSD":1,
                "estimatedLatencyMs":900,
                "provider":"openai-compatible","baseURL":"https://attacker.example","endpoint":"https://attacker.example",
                "region":"attacker-1","apiKeyName":"AWS_SECRET_ACCESS_KEY","credential":"AWS_SECRET_ACCESS_KEY",
                "providerModel":"evil"}]},
             "context":{"requestId":"req-1","tenantId":"acme"}}
            """#
        let transport = ScriptedTransport([Self.openAIOK])
        let bytes = try await CodableByteHandler(handler(transport)).handle(
            Array(event.utf8),
            context: InvocationContext(
                requestID: "inv-1", deadlineMilliseconds: WallClock.nowMilliseconds() + 10_000, invokedFunctionARN: "x")
        )
        let outcome = try JSON.decode(LLMOutcome.self, from: bytes)
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(transport.sent.count, 1)
        for request in transport.sent {
            XCTAssertTrue(request.url.hasPrefix("http://openai.test/"), request.url)
            XCTAssertFalse(request.url.contains("attacker"))
            let everything =
                request.headers.map { "\($0.name): \($0.value)" }.joined()
                + String(decoding: request.body, as: UTF8.self)
            XCTAssertFalse(everything.contains("very-secret-aws-key"), "the AWS secret left the function")
            XCTAssertFalse(everything.contains("evil"))
            XCTAssertEqual(request.headers["authorization"], "Bearer sk-openai-configured")
        }
        XCTAssertFalse(String(decoding: bytes, as: UTF8.self).contains("sk-openai-configured"))
    }

    func testUnknownOrNonLLMModelsFailWithoutACall() async throws {
        let transport = ScriptedTransport([Self.openAIOK])
        let h = try handler(transport)
        let unknown = await h.call(input(["gpt-9000"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(unknown.status, .failed)
        XCTAssertEqual(unknown.error?.errorType, "LLM.UnknownModel")
        XCTAssertTrue(unknown.error!.errorMessage.contains("gpt-9000"))
        let vision = await h.call(input(["yolov8n-lambda"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(vision.error?.errorType, "LLM.InvalidRequest")
        let malformed = await h.call(input(["gpt 4o?fault=x"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(malformed.error?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(transport.sent.count, 0)
        XCTAssertEqual(unknown.usage, [])
        XCTAssertEqual(unknown.attempts, [])
    }

    func testUndecodableRequestIsAFailedOutcomeButNoContextIsAnInvalidEvent() async throws {
        let transport = ScriptedTransport([])
        let byteHandler = CodableByteHandler(try handler(transport))
        let ctx = InvocationContext(
            requestID: "inv", deadlineMilliseconds: WallClock.nowMilliseconds() + 10_000, invokedFunctionARN: "x")
        let robot = #"""
            {"request":{"requestId":"r","tenantId":"t","messages":[{"role":"robot","content":"hi"}]},
             "plan":{"maxOutputTokens":64,"groundWithDetections":false,"candidates":[]},
             "context":{"requestId":"r","tenantId":"t"},"item":{"id":"it-1"}}
            """#
        let outcome = try JSON.decode(
            LLMOutcome.self, from: try await byteHandler.handle(Array(robot.utf8), context: ctx))
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(outcome.error?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(outcome.requestID, "r")
        XCTAssertEqual(outcome.itemID, "it-1")
        do {
            _ = try await byteHandler.handle(Array(#"{"request":{}}"#.utf8), context: ctx)
            XCTFail("an event without a context is not a step input")
        } catch let error as RuntimeError {
            XCTAssertEqual(error.errorType, "Runtime.InvalidEvent")
        }
    }

    func testInvalidInputIsAFailedOutcome() async throws {
        let transport = ScriptedTransport([])
        let h = try handler(transport)
        func failure(_ i: LLMStepInput) async -> StepError? {
            await h.call(i, invocationID: "i", deadline: deadline()).error
        }
        let empty = await failure(input(["gpt-4o-mini"], messages: []))
        XCTAssertEqual(empty?.errorType, "LLM.InvalidRequest")
        let systemOnly = await failure(input(["gpt-4o-mini"], messages: [Message(role: .system, text: "x")]))
        XCTAssertEqual(systemOnly?.errorType, "LLM.InvalidRequest")
        let huge = await failure(input(["gpt-4o-mini"], parameters: GenerationParameters(maxTokens: Int.max)))
        XCTAssertEqual(huge?.errorType, "LLM.InvalidRequest")
        let hot = await failure(input(["gpt-4o-mini"], parameters: GenerationParameters(temperature: .nan)))
        XCTAssertEqual(hot?.errorType, "LLM.InvalidRequest")
        let badTool = await failure(
            input(["gpt-4o-mini"], parameters: GenerationParameters(tools: [ToolDefinition(name: "no spaces!")])))
        XCTAssertEqual(badTool?.errorType, "LLM.InvalidRequest")
        let choice = await failure(input(["gpt-4o-mini"], parameters: GenerationParameters(toolChoice: .function("x"))))
        XCTAssertEqual(choice?.errorType, "LLM.InvalidRequest")
        var bigPlan = input(["gpt-4o-mini"])
        bigPlan.plan.maxOutputTokens = Int.max
        let plan = await failure(bigPlan)
        XCTAssertEqual(plan?.errorType, "LLM.InvalidRequest")
        var window = input(["gpt-4o-mini"])
        window.plan.candidates[0].contextWindow = Int.max
        let windowError = await failure(window)
        XCTAssertEqual(windowError?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(transport.sent.count, 0)
    }

    func testMaxOutputAtTheWindowIsRefusedBeforeAnyPaidCall() async throws {
        // maxTokens at the model's limit with a small window: refused by the check, not sent.
        let transport = ScriptedTransport([Self.openAIOK])
        var i = input(["gpt-4o-mini"], parameters: GenerationParameters(maxTokens: 10_000_000))
        i.plan.candidates[0].contextWindow = 1000
        i.plan.candidates[0].maxOutputTokens = nil
        let outcome = await try handler(transport).call(i, invocationID: "i", deadline: deadline())
        XCTAssertEqual(outcome.error?.errorType, "LLM.ContextWindowExceeded")
        XCTAssertEqual(outcome.attempts.map(\.outcome), ["skipped"])
        XCTAssertEqual(transport.sent.count, 0)
        // The sent max_tokens is the client's, capped by the model's own limit.
        let capped = ScriptedTransport([Self.openAIOK])
        var ok = input(["gpt-4o-mini"], parameters: GenerationParameters(maxTokens: 100_000))
        ok.plan.candidates[0].contextWindow = 200_000
        _ = await try handler(capped).call(ok, invocationID: "i", deadline: deadline())
        XCTAssertEqual(try JSON.parse(capped.sent[0].body)["max_completion_tokens"], 16_384)
    }

    func testFallbackIsDegradedAndEveryAttemptSentIsBilled() async throws {
        let transport = ScriptedTransport([Self.overloaded, Self.overloaded, Self.openAIOK])
        let outcome = await try handler(transport).call(
            input(["claude-haiku", "gpt-4o-mini"]), invocationID: "inv-7", deadline: deadline())
        XCTAssertEqual(outcome.status, .degraded)
        XCTAssertEqual(outcome.answer?.fallbackUsed, true)
        XCTAssertEqual(outcome.answer?.model, "gpt-4o-mini")
        XCTAssertEqual(outcome.attempts.map(\.outcome), ["failed", "failed", "ok"])
        XCTAssertEqual(outcome.attempts.map(\.errorType), ["Provider.UpstreamError", "Provider.UpstreamError", nil])
        XCTAssertEqual(outcome.usage.map(\.attempt), [0, 1, 2])
        XCTAssertEqual(outcome.usage.map(\.status), [.failed, .failed, .fallback])
        XCTAssertEqual(outcome.usage.map(\.model), ["claude-haiku", "claude-haiku", "gpt-4o-mini"])
        XCTAssertEqual(
            outcome.usage.map(\.providerModel),
            [
                "claude-3-5-haiku-latest", "claude-3-5-haiku-latest",
                "gpt-4o-2024-08-06",
            ])
        XCTAssertEqual(outcome.usage[0].tokens, nil, "a 529 charges nothing")
        XCTAssertEqual(outcome.usage[0].errorType, "Provider.UpstreamError")
        XCTAssertEqual(Set(outcome.usage.map(\.invocationID)), ["inv-7"])
        XCTAssertEqual(transport.sent.map(\.url).first, "http://anthropic.test/v1/messages")
        XCTAssertEqual(transport.sent[0].headers["x-api-key"], "sk-ant-configured")
    }

    func testEveryCandidateFailingIsAFailedOutcomeWithItsUsage() async throws {
        let cut = Array(
            String(decoding: Fixture.bytes("anthropic_stream.sse"), as: UTF8.self)
                .components(separatedBy: "event: content_block_stop")[0].utf8)
        let stream = ScriptedTransport.Reply.stream(
            status: 200, headers: ["content-type": "text/event-stream"], chunks: [cut], thenError: nil)
        let transport = ScriptedTransport([stream, stream])
        var i = input(["claude-haiku"])
        i.request?.stream = true
        let outcome = await try handler(transport).call(i, invocationID: "i", deadline: deadline())
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertNil(outcome.answer)
        XCTAssertEqual(outcome.error?.errorType, "Provider.Truncated")
        XCTAssertEqual(outcome.usage.count, 2, "both cut streams were charged")
        XCTAssertEqual(outcome.usage.map { $0.tokens?.estimated }, [true, true])
        XCTAssertEqual(outcome.usage.map { $0.tokens?.cached }, [100, 100])
        XCTAssertEqual(outcome.usage.map { $0.tokens?.cacheWrite }, [10, 10])
    }

    func testSkippedCandidatesAreRecordedButNotBilled() async throws {
        var env = Self.environment.values
        env["ANTHROPIC_API_KEY"] = nil
        let transport = ScriptedTransport([Self.openAIOK])
        let outcome = await try handler(transport, environment: Environment(env)).call(
            input(["claude-haiku", "gpt-4o-mini"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(outcome.status, .degraded)
        XCTAssertEqual(outcome.attempts.map(\.outcome), ["skipped", "ok"])
        XCTAssertEqual(outcome.attempts[0].errorType, "LLM.CredentialsUnavailable")
        XCTAssertTrue(outcome.attempts[0].errorMessage!.contains("ANTHROPIC_API_KEY"))
        XCTAssertEqual(outcome.usage.map(\.attempt), [1], "records point at their attempt; skipped ones get none")
    }

    func testBatchItemStepAndGroundingInDetections() async throws {
        let transport = ScriptedTransport([Self.openAIOK])
        let grounding = VisionOutcome(
            requestID: "req-1", itemID: "item-3", status: .succeeded, model: "yolov8n-lambda", provider: .lambda,
            results: [
                ImageDetections(
                    width: 640, height: 480, format: "JPEG", orientation: 1,
                    detections: [
                        Detection(
                            box: BoundingBox(x1: 12.4, y1: 30.5, x2: 200.49, y2: 399.6), confidence: 0.914,
                            classID: 0, className: "person"),
                        Detection(
                            box: BoundingBox(x1: 300, y1: 40, x2: 350, y2: 90), confidence: 0.5, classID: 0,
                            className: "person"),
                        Detection(
                            box: BoundingBox(x1: 1, y1: 2, x2: 3, y2: 4), confidence: 0.42, classID: 16, className: nil),
                    ])
            ], usage: [], error: nil, timings: nil)
        let i = LLMStepInput(
            item: BatchItem(id: "item-3", text: "How many people are there?"),
            parameters: GenerationParameters(maxTokens: 50, seed: 7),
            plan: LLMPlan(
                candidates: [LLMCandidate(model: "gpt-4o-mini", attemptTimeoutMs: 5000, contextWindow: 128_000)],
                maxOutputTokens: 50, groundWithDetections: true),
            context: context, grounding: grounding)
        let outcome = await try handler(transport).call(i, invocationID: "i", deadline: deadline())
        XCTAssertEqual(outcome.itemID, "item-3")
        XCTAssertEqual(outcome.usage.map(\.step), ["batch/item-3/llm"])
        let body = try JSON.parse(transport.sent[0].body)
        XCTAssertEqual(body["seed"], 7)
        XCTAssertEqual(body["max_completion_tokens"], 50)
        let system = try XCTUnwrap(body["messages"]?[0]?["content"]?.stringValue)
        XCTAssertEqual(body["messages"]?[0]?["role"], "system")
        XCTAssertTrue(system.contains("(yolov8n-lambda)"), system)
        XCTAssertTrue(system.contains("Image 1 (640×480): 2 person, 1 class 16."), system)
        XCTAssertTrue(system.contains("- person 0.91 [12, 31, 200, 400]"), system)
        XCTAssertTrue(system.contains("- class 16 0.42 [1, 2, 3, 4]"), system)
        XCTAssertEqual(body["messages"]?[1], ["role": "user", "content": "How many people are there?"])
    }

    func testImagesArePolicedSniffedAndMatchedToModels() async throws {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
        func ask(_ image: String, models: [ModelID] = ["gpt-4o-mini"]) throws -> LLMStepInput {
            input(
                models,
                messages: [
                    Message(role: .user, content: [.text("What is this?"), .image(try ImageReference(parsing: image))])
                ])
        }
        let transport = ScriptedTransport([Self.openAIOK, Self.openAIOK])
        let h = try handler(transport)
        let s3 = await h.call(try ask("s3://photos/cat.png"), invocationID: "i", deadline: deadline())
        XCTAssertEqual(s3.error?.errorType, "Image.Forbidden")
        let http = await h.call(try ask("http://example.com/cat.png"), invocationID: "i", deadline: deadline())
        XCTAssertEqual(http.error?.errorType, "Image.Forbidden")
        let lying = await h.call(try ask("data:image/jpeg;base64," + png), invocationID: "i", deadline: deadline())
        XCTAssertEqual(lying.error?.errorType, "LLM.InvalidRequest")
        XCTAssertTrue(lying.error!.errorMessage.contains("image/png"))
        let text = await h.call(
            try ask("data:image/png;base64,SGVsbG8sIHdvcmxkIQ=="), invocationID: "i", deadline: deadline())
        XCTAssertEqual(text.error?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(transport.sent.count, 0)
        // A text-only model is skipped for an image; the vision model gets it, sniffed, as a data URL.
        let ok = await h.call(
            try ask(png, models: ["smol", "gpt-4o-mini"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(ok.attempts.map(\.outcome), ["skipped", "ok"])
        XCTAssertEqual(ok.attempts[0].errorType, "LLM.UnsupportedContent")
        XCTAssertEqual(ok.usage.map(\.modality), [.multimodal])
        let content = try JSON.parse(transport.sent[0].body)["messages"]?[0]?["content"]
        XCTAssertEqual(
            content?[1], ["type": "image_url", "image_url": ["url": .string("data:image/png;base64," + png)]])
        let url = await h.call(try ask("https://example.com/cat.png"), invocationID: "i", deadline: deadline())
        XCTAssertEqual(url.status, .succeeded)
        XCTAssertEqual(
            try JSON.parse(transport.sent[1].body)["messages"]?[0]?["content"]?[1],
            ["type": "image_url", "image_url": ["url": "https://example.com/cat.png"]])
    }

    func testS3ImagesAreReadInsideTheAllowListAndSentInline() async throws {
        let png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg=="
        func ask(_ images: [String]) throws -> LLMStepInput {
            input(
                ["gpt-4o-mini"],
                messages: [
                    Message(
                        role: .user,
                        content: [.text("What is this?")] + (try images.map { .image(try ImageReference(parsing: $0)) })
                    )
                ])
        }
        let object = ScriptedTransport.Reply.response(HTTPResponse(status: 200, body: try Base64.decode(png)))
        let text = ScriptedTransport.Reply.response(HTTPResponse(status: 200, body: Array("plain text".utf8)))
        let transport = ScriptedTransport([object, Self.openAIOK, text])
        var environment = Self.environment
        environment.values["IMAGE_ACCESS_S3"] = "s3://photos/cats/"
        environment.values["AWS_ENDPOINT_URL_S3"] = "http://s3.test"
        let h = try handler(transport, environment: environment)

        let ok = await h.call(try ask(["s3://photos/cats/tabby.png"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(ok.status, .succeeded)
        XCTAssertEqual(
            transport.sent.map(\.url),
            ["http://s3.test/photos/cats/tabby.png", "http://openai.test/v1/chat/completions"])
        XCTAssertTrue(transport.sent[0].headers["authorization"]?.contains("/us-east-1/s3/aws4_request") ?? false)
        XCTAssertEqual(
            try JSON.parse(transport.sent[1].body)["messages"]?[0]?["content"]?[1],
            ["type": "image_url", "image_url": ["url": .string("data:image/png;base64," + png)]])

        // Outside the prefix, or one refused image among allowed ones: refused before any read.
        for images in [["s3://photos/dogs/rex.png"], ["s3://photos/cats/tabby.png", "s3://photos/catsup/x.png"]] {
            let refused = await h.call(try ask(images), invocationID: "i", deadline: deadline())
            XCTAssertEqual(refused.error?.errorType, "Image.Forbidden")
            XCTAssertEqual(refused.attempts.count, 0)
        }
        XCTAssertEqual(transport.sent.count, 2)
        // An object that is not an image is refused after the read, before any provider call.
        let notImage = await h.call(try ask(["s3://photos/cats/notes.png"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(notImage.error?.errorType, "LLM.InvalidRequest")
        XCTAssertEqual(transport.sent.count, 3)

        // Without AWS credentials an allowed object cannot be read (`Image.FetchFailed`).
        var bare = environment
        bare.values["AWS_ACCESS_KEY_ID"] = nil
        let noRole = try handler(ScriptedTransport([]), environment: bare)
        let unread = await noRole.call(try ask(["s3://photos/cats/tabby.png"]), invocationID: "i", deadline: deadline())
        XCTAssertEqual(unread.error?.errorType, "Image.FetchFailed")
    }

    func testLegacyImageVariablesStillAllowHTTP() throws {
        var environment = Self.environment
        XCTAssertFalse(
            try LLMCallerConfiguration(environment: environment, catalog: Self.catalog).imagePolicy.allowHTTP)
        environment.values["LLM_IMAGE_ALLOW_HTTP"] = "true"
        XCTAssertTrue(try LLMCallerConfiguration(environment: environment, catalog: Self.catalog).imagePolicy.allowHTTP)
        environment.values["LLM_IMAGE_ALLOW_HTTP"] = nil
        environment.values["IMAGE_ACCESS_ALLOW_HTTP"] = "true"
        environment.values["IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS"] = "true"
        let shared = try LLMCallerConfiguration(environment: environment, catalog: Self.catalog)
        XCTAssertTrue(shared.imagePolicy.allowHTTP && shared.imagePolicy.allowPrivateHosts)
        environment.values["IMAGE_ACCESS_S3"] = "s3://Not_A_Bucket/x"
        XCTAssertThrowsError(try LLMCallerConfiguration(environment: environment, catalog: Self.catalog)) {
            XCTAssertEqual(($0 as? ConfigurationError)?.errorType, "Config.Invalid")
        }
    }

    func testToolCallsComeBackInTheAnswer() async throws {
        let body = #"""
            {"id":"c","model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant",
            "content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup",
            "arguments":"{\"q\":\"x\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":9,"completion_tokens":4}}
            """#
        let transport = ScriptedTransport([.response(HTTPResponse(status: 200, body: Array(body.utf8)))])
        let outcome = await try handler(transport).call(
            input(
                ["gpt-4o-mini"],
                parameters: GenerationParameters(tools: [ToolDefinition(name: "lookup")], toolChoice: .required)),
            invocationID: "i", deadline: deadline())
        XCTAssertEqual(outcome.answer?.finishReason, "tool_use")
        XCTAssertEqual(outcome.answer?.toolCalls, [ToolCall(id: "call_1", name: "lookup", arguments: #"{"q":"x"}"#)])
        XCTAssertEqual(try JSON.parse(transport.sent[0].body)["tool_choice"], "required")
    }

    func testStreamingCallYieldsTextThenTheOutcome() async throws {
        let transport = ScriptedTransport([
            .stream(
                status: 200, headers: ["content-type": "text/event-stream"],
                chunks: [Fixture.bytes("openai_stream.sse")], thenError: nil)
        ])
        var events: [LLMStreamEvent] = []
        for await event in try handler(transport).stream(
            input(["gpt-4o-mini"]), invocationID: "s", deadline: deadline())
        {
            events.append(event)
        }
        XCTAssertEqual(events.prefix(2), [.text("Hello"), .text(", world")])
        guard case .outcome(let outcome) = events.last else { return XCTFail("no outcome") }
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(outcome.answer?.text, "Hello, world")
        XCTAssertEqual(outcome.usage.first?.tokens, UsageRecord.Tokens(input: 19, output: 10, reasoning: 7))
        XCTAssertNotNil(outcome.usage.first?.latency.ttftMs)
        XCTAssertEqual(try JSON.parse(transport.sent[0].body)["stream_options"], ["include_usage": true])
    }

    func testStreamCutMidAnswerBillsPartialUsageAndEndsTruncated() async throws {
        let sse = String(decoding: Fixture.bytes("anthropic_stream.sse"), as: UTF8.self)
        let cut = Array(sse.components(separatedBy: "event: content_block_stop")[0].utf8)
        let transport = ScriptedTransport([
            .stream(status: 200, headers: ["content-type": "text/event-stream"], chunks: [cut], thenError: nil),
            Self.openAIOK,
        ])
        var events: [LLMStreamEvent] = []
        for await event in try handler(transport).stream(
            input(["claude-haiku", "gpt-4o-mini"]), invocationID: "s", deadline: deadline())
        {
            events.append(event)
        }
        XCTAssertEqual(events.dropLast(), [.text("Hello"), .text("!")])
        guard case .outcome(let outcome) = events.last else { return XCTFail("no outcome") }
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(outcome.error?.errorType, "Provider.Truncated")
        XCTAssertEqual(transport.sent.count, 1, "no fallback once text went out")
        let tokens = try XCTUnwrap(outcome.usage.first?.tokens)
        XCTAssertEqual(tokens.input, 135)
        XCTAssertEqual(tokens.cacheWrite, 10)
        XCTAssertTrue(tokens.estimated)
    }
}

/// The sample events in `events/llm-caller/` are step inputs of the current contract.
final class LLMCallerEventFilesTests: XCTestCase {
    func testEveryEventFileDecodes() throws {
        let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../events/llm-caller").standardized
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(files.count, 10)
        for file in files {
            let bytes = Array(try Data(contentsOf: directory.appendingPathComponent(file)))
            let event = try JSON.decode(LLMStepEvent.self, from: bytes)
            switch event {
            case .valid: XCTAssertNotEqual(file, "error-unknown-role.json")
            case .invalid(_, _, let detail): XCTAssertEqual(file, "error-unknown-role.json", detail)
            }
        }
    }
}
