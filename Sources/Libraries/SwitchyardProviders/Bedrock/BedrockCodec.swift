import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Amazon Bedrock Converse (`POST /model/{modelId}/converse`) and ConverseStream
/// (`/converse-stream`, AWS event-stream framing), signed with SigV4 (service `bedrock`).
///
/// Mapping of the OpenAI surface: tools → `toolConfig.tools[].toolSpec` (`inputSchema.json`);
/// `toolChoice` auto/required/function → `toolChoice` `auto`/`any`/`tool` (Converse has no
/// `none`: with `none` the tools are left out unless the history holds tool calls, which
/// Converse requires a `toolConfig` for); assistant tool calls → `toolUse` blocks; tool results →
/// `toolResult` blocks in a user turn; `stop` → `stopSequences`. No JSON mode, seed or user field:
/// a JSON response format becomes an instruction in the system prompt.
public struct BedrockCodec: ProviderCodec {
    public let provider = ProviderID.bedrock
    public let credentials: AWSCredentials?
    public var defaultRegion: String
    public var defaultMaxTokens: Int

    public init(credentials: AWSCredentials?, defaultRegion: String = "us-east-1", defaultMaxTokens: Int = 4096) {
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
        body["messages"] = .array(try Self.messages(request.conversation))
        if let system = request.systemPromptWithFormat { body["system"] = [["text": .string(system)]] }
        var config = JSONObject()
        config["maxTokens"] = .integer(Int64(request.maxTokens ?? target.maxOutputTokens ?? defaultMaxTokens))
        if let t = request.temperature { config["temperature"] = .double(t) }
        if let p = request.topP { config["topP"] = .double(p) }
        if !request.stop.isEmpty { config["stopSequences"] = .array(request.stop.map { .string($0) }) }
        body["inferenceConfig"] = .object(config)
        let historyHasTools = request.messages.contains { !$0.toolCalls.isEmpty || $0.role == .tool }
        if !request.tools.isEmpty, request.toolChoice != ToolChoice.none || historyHasTools {
            var toolConfig: JSONObject = [
                "tools": .array(
                    request.tools.map { tool in
                        var spec: JSONObject = ["name": .string(tool.name), "inputSchema": ["json": Wire.schema(tool)]]
                        if let d = tool.description { spec["description"] = .string(d) }
                        return ["toolSpec": .object(spec)]
                    })
            ]
            switch request.toolChoice {
            case nil, .none?: break
            case .auto?: toolConfig["toolChoice"] = ["auto": [:]]
            case .required?: toolConfig["toolChoice"] = ["any": [:]]
            case .function(let name)?: toolConfig["toolChoice"] = ["tool": ["name": .string(name)]]
            }
            body["toolConfig"] = .object(toolConfig)
        }
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

    static func messages(_ conversation: [ChatMessage]) throws(LLMError) -> [JSON] {
        var out: [JSON] = []
        var pendingResults: [JSON] = []
        for m in conversation {
            if m.role == .tool {
                pendingResults.append([
                    "toolResult": [
                        "toolUseId": .string(m.toolCallID ?? ""), "content": [["text": .string(m.text)]],
                    ]
                ])
                continue
            }
            if !pendingResults.isEmpty {
                out.append(["role": "user", "content": .array(pendingResults)])
                pendingResults = []
            }
            out.append(try message(m))
        }
        if !pendingResults.isEmpty { out.append(["role": "user", "content": .array(pendingResults)]) }
        return out
    }

    static func message(_ m: ChatMessage) throws(LLMError) -> JSON {
        var blocks: [JSON] = []
        for part in m.content {
            switch part {
            case .text(""): continue  // Converse refuses empty text blocks
            case .text(let t): blocks.append(["text": .string(t)])
            case .image(.base64(let mediaType, let data)):
                let format = mediaType.hasPrefix("image/") ? String(mediaType.dropFirst(6)) : mediaType
                blocks.append(["image": ["format": .string(format), "source": ["bytes": .string(data)]]])
            case .image(.url):
                throw .unsupportedContent(
                    provider: .bedrock, message: "Bedrock Converse takes images as bytes, not by URL")
            }
        }
        for call in m.toolCalls {
            blocks.append([
                "toolUse": [
                    "toolUseId": .string(call.id), "name": .string(call.name),
                    "input": try Wire.arguments(call.arguments, provider: .bedrock),
                ]
            ])
        }
        return ["role": .string(m.role.rawValue), "content": .array(blocks)]
    }

    public func decode(_ response: HTTPResponse, request: ChatRequest, for target: ModelTarget) throws(LLMError)
        -> ChatResponse
    {
        let doc = try Wire.parse(response.body, provider: provider)
        guard let content = doc["output"]?["message"]?["content"]?.arrayValue else {
            throw .badResponse(provider: provider, detail: "no output.message.content")
        }
        var text = ""
        var calls: [ToolCall] = []
        for block in content {
            if let t = block["text"]?.stringValue { text += t }
            if let use = block["toolUse"] {
                guard let id = use["toolUseId"]?.stringValue, let name = use["name"]?.stringValue else {
                    throw .badResponse(provider: provider, detail: "toolUse block without toolUseId or name")
                }
                let input = use["input"] ?? [:]
                calls.append(
                    ToolCall(id: id, name: name, arguments: String(decoding: input.serialized(), as: UTF8.self)))
            }
        }
        let usage = try Self.usage(doc["usage"]) ?? TokenEstimator.usage(request: request, output: text)
        return ChatResponse(
            model: target.model, text: text, finishReason: Self.finishReason(doc["stopReason"]?.stringValue),
            toolCalls: calls, usage: usage, providerRequestID: response.headers["x-amzn-RequestId"])
    }

    public func usage(in body: [UInt8]) -> UsageRecord.Tokens? {
        guard let doc = try? JSON.parse(body) else { return nil }
        return (try? Self.usage(doc["usage"])) ?? nil
    }

    /// Bedrock reports cache reads and writes beside `inputTokens`; they are folded into the
    /// input total (checked), as `cached` and `cacheWrite`.
    static func usage(_ u: JSON?) throws(LLMError) -> UsageRecord.Tokens? {
        guard let u, case .object = u else { return nil }
        let p = ProviderID.bedrock
        let read = try TokenCount.read(u["cacheReadInputTokens"], field: "cacheReadInputTokens", provider: p) ?? 0
        let write = try TokenCount.read(u["cacheWriteInputTokens"], field: "cacheWriteInputTokens", provider: p) ?? 0
        let input = try TokenCount.read(u["inputTokens"], field: "inputTokens", provider: p) ?? 0
        return UsageRecord.Tokens(
            input: try TokenCount.sum(input, read, write, field: "inputTokens (with cache)", provider: p),
            output: try TokenCount.read(u["outputTokens"], field: "outputTokens", provider: p) ?? 0,
            cached: read, cacheWrite: write)
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
        let message =
            (doc?["message"]?.stringValue ?? doc?["Message"]?.stringValue).map(Wire.excerpt) ?? Wire.excerpt(body)
        let rawType = headers["x-amzn-ErrorType"] ?? doc?["__type"]?.stringValue ?? ""
        let type = String(rawType.split(separator: ":").first ?? "").split(separator: "#").last.map(String.init) ?? ""
        return Self.error(type: type, status: status, message: message, headers: headers)
    }

    /// Maps an exception name (`ThrottlingException`, or the stream's `throttlingException`).
    static func error(type rawType: String, status: Int, message: String, headers: HTTPHeaders) -> LLMError {
        let p = ProviderID.bedrock
        let type = rawType.prefix(1).uppercased() + rawType.dropFirst()
        switch type {
        case "ThrottlingException":
            return .rateLimited(provider: p, message: message, retryAfter: Wire.retryAfter(headers))
        case "AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException":
            return .authentication(provider: p, message: message)
        case "ModelTimeoutException": return .timeout(provider: p, milliseconds: 0)
        case "InternalServerException", "ServiceUnavailableException", "ModelNotReadyException", "ModelErrorException",
            "ModelStreamErrorException":
            return .upstream(provider: p, status: status == 200 ? 500 : status, message: message)
        default:
            let lower = message.lowercased()
            let context =
                type == "ValidationException" && (lower.contains(text: "too long") || lower.contains(text: "context"))
            return Wire.classify(
                provider: p, status: status, message: message, headers: headers, contextExceeded: context)
        }
    }

    public func makeStreamAccumulator(request: ChatRequest, for target: ModelTarget) -> any StreamAccumulator {
        BedrockStreamAccumulator(request: request, model: target.model)
    }
}

/// ConverseStream events: `messageStart`, `contentBlockStart` (a `toolUse` block's id and name),
/// `contentBlockDelta` (text, or a piece of a tool's input JSON), `contentBlockStop`,
/// `messageStop` (stop reason), then `metadata` (usage) — the last event, so the stream is
/// complete only once it has arrived. Exception messages end the call.
final class BedrockStreamAccumulator: StreamAccumulator {
    let request: ChatRequest
    let model: String
    var onText: ((String) -> Void)?
    private var blocks = StreamedBlocks()
    private(set) var reportedUsage: UsageRecord.Tokens?
    private var stopReason: String?
    private var sawStop = false
    private var sawMetadata = false

    init(request: ChatRequest, model: String) {
        self.request = request
        self.model = model
    }

    var isComplete: Bool { sawStop && sawMetadata }
    var text: String { blocks.text }
    var hasOutput: Bool { blocks.hasOutput }

    func consume(_ event: SSEEvent) throws(LLMError) {
        let doc: JSON
        do { doc = try JSON.parse(event.data) } catch {
            throw .badResponse(provider: .bedrock, detail: "stream event is not valid JSON (\(error))")
        }
        let type = event.event ?? ""
        if type.hasPrefix("exception:") {
            throw BedrockCodec.error(
                type: String(type.dropFirst(10)), status: 200,
                message: Wire.excerpt(
                    doc["message"]?.stringValue ?? doc["Message"]?.stringValue ?? "exception in stream"),
                headers: [:])
        }
        switch type {
        case "contentBlockStart":
            if let use = doc["start"]?["toolUse"] {
                blocks.startTool(
                    at: try index(doc), id: use["toolUseId"]?.stringValue ?? "", name: use["name"]?.stringValue ?? "")
            }
        case "contentBlockDelta":
            if let piece = doc["delta"]?["text"]?.stringValue, !piece.isEmpty {
                blocks.appendText(piece)
                onText?(piece)
            }
            if let input = doc["delta"]?["toolUse"]?["input"]?.stringValue {
                guard blocks.appendToolInput(input, at: try index(doc)) else {
                    throw .badResponse(provider: .bedrock, detail: "toolUse delta for a block that is no toolUse")
                }
            }
        case "messageStop":
            stopReason = doc["stopReason"]?.stringValue
            sawStop = true
        case "metadata":
            if let usage = try BedrockCodec.usage(doc["usage"]) { reportedUsage = usage }
            sawMetadata = true
        default:
            break  // messageStart, contentBlockStop
        }
    }

    private func index(_ doc: JSON) throws(LLMError) -> Int {
        try StreamedBlocks.index(doc["contentBlockIndex"], field: "contentBlockIndex", provider: .bedrock)
    }

    func response(providerRequestID: String?) -> ChatResponse {
        let text = self.text
        return ChatResponse(
            model: model, text: text, finishReason: BedrockCodec.finishReason(stopReason),
            toolCalls: blocks.toolCalls,
            usage: reportedUsage ?? TokenEstimator.usage(request: request, output: text),
            providerRequestID: providerRequestID)
    }
}
