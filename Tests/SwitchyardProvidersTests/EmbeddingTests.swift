import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardProviders
import XCTest

/// The embeddings capability: OpenAI-compatible `/v1/embeddings` and Bedrock Titan, with usage.
final class EmbeddingTests: XCTestCase {
    static let catalog = try! Catalog(
        version: "test-1",
        models: [
            CatalogModel(
                id: "text-embedding-3-small", provider: .openAI, kind: .embedding, endpoint: "http://openai.test",
                contextWindow: 8191, latency: LatencyPrior(p50Ms: 100, p95Ms: 300), quality: ["embedding": 0.8],
                tiers: ["basic"]),
            CatalogModel(
                id: "titan-embed-v2", provider: .bedrock, kind: .embedding,
                providerModel: "amazon.titan-embed-text-v2:0",
                endpoint: "http://bedrock.test", contextWindow: 8192, latency: LatencyPrior(p50Ms: 100, p95Ms: 300),
                quality: ["embedding": 0.7], tiers: ["basic"]),
            CatalogModel(
                id: "claude-haiku", provider: .anthropic, kind: .llm, contextWindow: 200_000,
                latency: LatencyPrior(p50Ms: 100, p95Ms: 300), quality: ["chat": 0.7], tiers: ["basic"]),
        ])
    static let environment = Environment([
        "OPENAI_API_KEY": "sk-o", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_REGION": "us-west-2", "LLM_RETRY_BASE_MS": "1",
    ])
    let context = UsageContext(requestID: "req-e", tenantID: "acme")

    func handler(_ transport: ScriptedTransport) throws -> LLMCallerHandler {
        try LLMCallerHandler(
            configuration: LLMCallerConfiguration(environment: Self.environment, catalog: Self.catalog),
            transport: transport)
    }

    func input(_ models: [ModelID], texts: [String] = ["alpha beta", "gamma"], dimensions: Int? = nil)
        -> EmbeddingStepInput
    {
        EmbeddingStepInput(
            texts: texts,
            plan: EmbeddingPlan(
                candidates: models.map { LLMCandidate(model: $0, attemptTimeoutMs: 5000, contextWindow: 8191) }),
            context: context, dimensions: dimensions)
    }

    static func reply(_ body: String, status: Int = 200) -> ScriptedTransport.Reply {
        .response(HTTPResponse(status: status, body: Array(body.utf8)))
    }

    func testOpenAIEmbeddingsWireVectorsInIndexOrderAndUsage() async throws {
        let transport = ScriptedTransport([
            Self.reply(
                #"{"object":"list","model":"text-embedding-3-small","data":[{"object":"embedding","index":1,"embedding":[0.5,-1]},{"object":"embedding","index":0,"embedding":[0.25,2]}],"usage":{"prompt_tokens":7,"total_tokens":7}}"#
            )
        ])
        let outcome = await try handler(transport).embed(
            input(["text-embedding-3-small"], dimensions: 2), invocationID: "inv-e",
            deadline: .now.advanced(by: .seconds(5)))
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(outcome.vectors, [[0.25, 2], [0.5, -1]])
        XCTAssertEqual(outcome.tokens, UsageRecord.Tokens(input: 7, output: 0))
        XCTAssertEqual(outcome.usage.map(\.step), ["embedding"])
        XCTAssertEqual(outcome.usage.first?.tokens, outcome.tokens)
        XCTAssertEqual(outcome.usage.first?.model, "text-embedding-3-small")
        let sent = try XCTUnwrap(transport.sent.first)
        XCTAssertEqual(sent.url, "http://openai.test/v1/embeddings")
        XCTAssertEqual(sent.headers["authorization"], "Bearer sk-o")
        XCTAssertEqual(
            try JSON.parse(sent.body),
            [
                "model": "text-embedding-3-small", "input": ["alpha beta", "gamma"], "encoding_format": "float",
                "dimensions": 2,
            ])
    }

    func testTitanEmbedsOneTextPerSignedCallAndSumsTokens() async throws {
        let transport = ScriptedTransport([
            Self.reply(#"{"embedding":[1,0,0],"inputTextTokenCount":3}"#),
            Self.reply(#"{"embedding":[0,1,0],"inputTextTokenCount":2}"#),
        ])
        let outcome = await try handler(transport).embed(
            input(["titan-embed-v2"], dimensions: 3), invocationID: "inv-e", deadline: .now.advanced(by: .seconds(5)))
        XCTAssertEqual(outcome.status, .succeeded)
        XCTAssertEqual(outcome.vectors, [[1, 0, 0], [0, 1, 0]])
        XCTAssertEqual(outcome.tokens, UsageRecord.Tokens(input: 5, output: 0))
        XCTAssertEqual(transport.sent.count, 2)
        for (request, text) in zip(transport.sent, ["alpha beta", "gamma"]) {
            XCTAssertEqual(request.url, "http://bedrock.test/model/amazon.titan-embed-text-v2%3A0/invoke")
            XCTAssertTrue(request.headers["authorization"]!.contains("/us-west-2/bedrock/aws4_request"))
            XCTAssertEqual(
                try JSON.parse(request.body), ["inputText": .string(text), "dimensions": 3, "normalize": true])
        }
    }

    func testBadVectorsAreBadResponsesAndFallBack() async throws {
        let transport = ScriptedTransport([
            Self.reply(#"{"data":[{"index":0,"embedding":[1e300,1]},{"index":1,"embedding":[1,1]}]}"#),
            Self.reply(#"{"data":[{"index":0,"embedding":[1,1]}]}"#),
            Self.reply(#"{"embedding":[1,2],"inputTextTokenCount":1}"#),
            Self.reply(#"{"embedding":[3,4],"inputTextTokenCount":1}"#),
        ])
        let outcome = await try handler(transport).embed(
            input(["text-embedding-3-small", "titan-embed-v2"]), invocationID: "i",
            deadline: .now.advanced(by: .seconds(5)))
        XCTAssertEqual(outcome.attempts.map(\.errorType), ["Provider.BadResponse", "Provider.BadResponse", nil])
        XCTAssertEqual(outcome.status, .degraded)
        XCTAssertEqual(outcome.vectors, [[1, 2], [3, 4]])
    }

    func testChatModelsAreNotEmbeddingModels() async throws {
        let outcome = await try handler(ScriptedTransport([])).embed(
            input(["claude-haiku"]), invocationID: "i", deadline: .now.advanced(by: .seconds(5)))
        XCTAssertEqual(outcome.status, .failed)
        XCTAssertEqual(outcome.error?.errorType, "LLM.InvalidRequest")
        let empty = await try handler(ScriptedTransport([])).embed(
            input(["text-embedding-3-small"], texts: []), invocationID: "i", deadline: .now.advanced(by: .seconds(5)))
        XCTAssertEqual(empty.error?.errorType, "LLM.InvalidRequest")
    }
}
