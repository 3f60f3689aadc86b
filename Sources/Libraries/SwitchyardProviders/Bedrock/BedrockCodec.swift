import SwitchyardAWS
import SwitchyardHTTP
import SwitchyardJSON

/// Amazon Bedrock Converse (`POST /model/{modelId}/converse`) and ConverseStream
/// (`/converse-stream`, AWS event-stream framing), signed with SigV4 (service `bedrock`).
public struct BedrockCodec: ProviderCodec {
    public let name = "bedrock"
    public let credentials: AWSCredentials?
    public var defaultRegion: String
    public var defaultMaxTokens: Int

    public init(credentials: AWSCredentials?, defaultRegion: String = "us-east-1", defaultMaxTokens: Int = 1024) {
        self.credentials = credentials
        self.defaultRegion = defaultRegion
        self.defaultMaxTokens = defaultMaxTokens
    }

    public var streamFraming: StreamFraming { .awsEventStream }

    public static func baseURL(region: String) -> String { "https://bedrock-runtime.\(region).amazonaws.com" }

    public func encode(_ request: ChatRequest, for target: ModelTarget) throws(LLMError) -> HTTPRequest {
        guard let credentials else {
            throw .credentialsUnavailable("Bedrock needs AWS credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY)")
        }
        var body = JSONObject()
        var messages: [JSON] = []
        for m in request.conversation { messages.append(try Self.message(m)) }
        body["messages"] = .array(messages)
        if let system = request.systemPrompt { body["system"] = [["text": .string(system)]] }
        var config = JSONObject()
        config["maxTokens"] = .integer(Int64(request.maxTokens ?? defaultMaxTokens))
        if let t = request.temperature { config["temperature"] = .double(t) }
        if let p = request.topP { config["topP"] = .double(p) }
        if !request.stop.isEmpty { config["stopSequences"] = .array(request.stop.map { .string($0) }) }
        body["inferenceConfig"] = .object(config)
        let url =
            target.baseURL + "/model/" + URIEncoding.encode(target.model)
            + (request.stream ? "/converse-stream" : "/converse")
        var http = HTTPRequest(
            method: .post, url: url, headers: ["Content-Type": "application/json"], body: JSON.object(body).serialized()
        )
        let signer = SigV4Signer(credentials: credentials, region: target.region ?? defaultRegion, service: "bedrock")
        do { try signer.sign(&http) } catch {
            throw .invalidRequest("cannot sign the Bedrock request: \(error.errorMessage)")
        }
        return http
    }

    static func message(_ m: ChatMessage) throws(LLMError) -> JSON {
        var blocks: [JSON] = []
        for part in m.content {
            switch part {
            case .text(let t): blocks.append(["text": .string(t)])
            case .image(.base64(let mediaType, let data)):
                let format = mediaType.hasPrefix("image/") ? String(mediaType.dropFirst(6)) : mediaType
                blocks.append([
                    "image": ["format": .string(format == "jpg" ? "jpeg" : format), "source": ["bytes": .string(data)]]
                ])
            case .image(.url):
                throw .invalidRequest("Bedrock Converse takes images inline (base64), not by URL")
            }
        }
        return ["role": .string(m.role.rawValue), "content": .array(blocks)]
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: name)
        guard let content = doc["output"]?["message"]?["content"]?.arrayValue else {
            throw .badResponse(provider: name, detail: "no output.message.content")
        }
        let text = content.compactMap { $0["text"]?.stringValue }.joined()
        let usage = Self.usage(doc["usage"]) ?? TokenEstimator.usage(request: request, output: text)
        return ChatResponse(
            model: target.model, text: text, finishReason: Self.finishReason(doc["stopReason"]?.stringValue),
            usage: usage,
            providerRequestID: response.headers["x-amzn-RequestId"])
    }

    public func usage(in body: [UInt8]) -> TokenUsage? { (try? JSON.parse(body)).flatMap { Self.usage($0["usage"]) } }

    /// Bedrock reports cache reads and writes beside `inputTokens`; they are folded into the input total.
    static func usage(_ u: JSON?) -> TokenUsage? {
        guard let u, case .object = u else { return nil }
        let read = Wire.int(u["cacheReadInputTokens"]) ?? 0
        let write = Wire.int(u["cacheWriteInputTokens"]) ?? 0
        return TokenUsage(
            inputTokens: (Wire.int(u["inputTokens"]) ?? 0) + read + write,
            outputTokens: Wire.int(u["outputTokens"]) ?? 0,
            cachedInputTokens: read, cacheCreationInputTokens: write)
    }

    static func finishReason(_ raw: String?) -> FinishReason {
        switch raw {
        case "end_turn", "stop_sequence", nil: .stop
        case "max_tokens": .length
        case "tool_use": .toolUse
        case "content_filtered", "guardrail_intervened": .contentFilter
        default: .other
        }
    }

    public func error(status: Int, headers: HTTPHeaders, body: [UInt8]) -> LLMError {
        let doc = try? JSON.parse(body)
        let message = doc?["message"]?.stringValue ?? doc?["Message"]?.stringValue ?? Wire.excerpt(body)
        let rawType = headers["x-amzn-ErrorType"] ?? doc?["__type"]?.stringValue ?? ""
        let type = String(rawType.split(separator: ":").first ?? "").split(separator: "#").last.map(String.init) ?? ""
        return Self.error(type: type, status: status, message: message, headers: headers)
    }

    /// Maps an exception name (`ThrottlingException`, or the stream's `throttlingException`).
    static func error(type rawType: String, status: Int, message: String, headers: HTTPHeaders) -> LLMError {
        let name = "bedrock"
        let type = rawType.prefix(1).uppercased() + rawType.dropFirst()
        switch type {
        case "ThrottlingException":
            return .rateLimited(provider: name, message: message, retryAfter: Wire.retryAfter(headers))
        case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException":
            return .authentication(provider: name, message: message)
        case "ModelTimeoutException": return .timeout(provider: name, milliseconds: 0)
        case "InternalServerException", "ServiceUnavailableException", "ModelNotReadyException", "ModelErrorException",
            "ModelStreamErrorException":
            return .upstream(provider: name, status: status == 200 ? 500 : status, message: message)
        default:
            let lower = message.lowercased()
            let context = type == "ValidationException" && (lower.contains("too long") || lower.contains("context"))
            return Wire.classify(
                provider: name, status: status, message: message, headers: headers, contextExceeded: context)
        }
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        BedrockStreamAccumulator(request: request, model: target.model)
    }
}

/// ConverseStream events: `messageStart`, `contentBlockDelta` (text), `contentBlockStop`,
/// `messageStop` (stop reason), then `metadata` (usage) — the last event, so the stream is
/// complete only once it has arrived. Exception messages end the call.
final class BedrockStreamAccumulator: StreamAccumulator {
    let request: ChatRequest
    let model: String
    private var parts: [String] = []
    private(set) var hasOutput = false
    private(set) var reportedUsage: TokenUsage?
    private var stopReason: String?
    private var sawStop = false
    private var sawMetadata = false

    init(request: ChatRequest, model: String) {
        self.request = request
        self.model = model
    }

    var isComplete: Bool { sawStop && sawMetadata }
    var text: String { parts.joined() }

    func consume(_ event: SSEEvent) throws(LLMError) {
        let doc: JSON
        do { doc = try JSON.parse(event.data) } catch {
            throw .badResponse(provider: "bedrock", detail: "stream event is not valid JSON (\(error))")
        }
        let type = event.event ?? ""
        if type.hasPrefix("exception:") {
            throw BedrockCodec.error(
                type: String(type.dropFirst(10)), status: 200,
                message: doc["message"]?.stringValue ?? doc["Message"]?.stringValue ?? "exception in stream",
                headers: [:])
        }
        switch type {
        case "contentBlockDelta":
            if let piece = doc["delta"]?["text"]?.stringValue, !piece.isEmpty {
                parts.append(piece)
                hasOutput = true
            }
        case "messageStop":
            stopReason = doc["stopReason"]?.stringValue
            sawStop = true
        case "metadata":
            if let usage = BedrockCodec.usage(doc["usage"]) { reportedUsage = usage }
            sawMetadata = true
        default:
            break  // messageStart, contentBlockStart/Stop
        }
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        return ChatResponse(
            model: model, text: text, finishReason: BedrockCodec.finishReason(stopReason),
            usage: reportedUsage ?? TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
