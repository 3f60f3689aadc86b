import SwitchyardContract
import SwitchyardJSON

/// An OpenAI `POST /v1/chat/completions` body, validated: what the front door maps to the
/// contract's `InferenceRequest`.
///
/// Routing hints travel in the extension object `switchyard` (the openai client's `extra_body`):
/// `{"route": "cheapest"|"fastest"|"best", "max_cost_usd": "0.01", "max_latency_ms": 2000,
/// "category": "code", "tags": ["realtime"]}`. `model` is `auto` (the router chooses) or a catalog id.
public struct ChatCompletionRequest: Sendable, Equatable {
    /// nil for `auto`.
    public var model: ModelID?
    public var messages: [Message]
    public var stream: Bool
    /// `stream_options.include_usage`: a last chunk with the usage block before `[DONE]`.
    public var includeUsage: Bool
    public var parameters: GenerationParameters
    public var user: String?
    public var hints: RoutingHints

    /// Limits of one request, all checked before anything else runs.
    public enum Limits {
        public static let messages = 1024
        public static let partsPerMessage = 64
        public static let stops = 4
        public static let tools = 128
        public static let tags = 16
        public static let maxTokens: Int64 = 1_000_000
        public static let userBytes = 256
    }

    /// Parses and validates a body. Not inlined: the parse's temporaries would otherwise sit in the
    /// calling endpoint's async frame, which is allocated per request.
    /// - Throws: `FrontDoor.InvalidRequest` naming the parameter.
    @inline(never)
    public init(body: [UInt8]) throws(FrontDoorError) {
        let json: JSON
        do { json = try JSON.parse(body) } catch {
            throw .invalidRequest(param: nil, message: "The body is not valid JSON (\(error.description.prefix(120))).")
        }
        try self.init(json: json)
    }

    public init(json: JSON) throws(FrontDoorError) {
        let body = try JSONReader(json, path: "")
        guard let modelText = try body.string("model", maxBytes: 256) else {
            throw .invalidRequest(param: "model", message: "'model' is required (a catalog model or \"auto\")")
        }
        if modelText == "auto" || modelText.isEmpty {
            model = nil
        } else {
            let id = ModelID(modelText)
            guard id.isWellFormed else { throw .modelNotFound(modelText) }
            model = id
        }
        guard let rawMessages = try body.array("messages", maxCount: Limits.messages), !rawMessages.isEmpty else {
            throw .invalidRequest(param: "messages", message: "'messages' is required and must not be empty")
        }
        var messages: [Message] = []
        messages.reserveCapacity(rawMessages.count)
        for (i, raw) in rawMessages.enumerated() {
            messages.append(try Self.message(raw, path: "messages[\(i)]"))
        }
        self.messages = messages
        stream = try body.bool("stream") ?? false
        if let options = body.value("stream_options") {
            includeUsage = try JSONReader(options, path: "stream_options").bool("include_usage") ?? false
        } else {
            includeUsage = false
        }
        if let n = try body.int("n", range: 1...128), n != 1 {
            throw .invalidRequest(param: "n", message: "'n' must be 1: one choice per request")
        }
        var parameters = GenerationParameters()
        var maxTokens = try body.int("max_completion_tokens", range: 1...Limits.maxTokens)
        if maxTokens == nil { maxTokens = try body.int("max_tokens", range: 1...Limits.maxTokens) }
        parameters.maxTokens = maxTokens.map { Int($0) }
        parameters.temperature = try body.double("temperature", range: 0...2)
        parameters.topP = try body.double("top_p", range: 0...1)
        parameters.seed = try body.int("seed", range: Int64.min...Int64.max)
        if let stop = body.value("stop") {
            switch stop {
            case .string(let one): parameters.stop = [one]
            case .array(let many):
                guard many.count <= Limits.stops else {
                    throw .invalidRequest(param: "stop", message: "'stop' takes at most \(Limits.stops) sequences")
                }
                var stops: [String] = []
                for item in many {
                    guard case .string(let text) = item, (1...256).contains(text.utf8.count) else {
                        throw .invalidRequest(param: "stop", message: "'stop' must hold short strings")
                    }
                    stops.append(text)
                }
                parameters.stop = stops
            default: throw body.wrong("stop", "a string or an array of strings")
            }
        }
        parameters.responseFormat = try Self.responseFormat(body.value("response_format"))
        if let tools = try body.array("tools", maxCount: Limits.tools) {
            var definitions: [ToolDefinition] = []
            for (i, tool) in tools.enumerated() { definitions.append(try Self.tool(tool, path: "tools[\(i)]")) }
            parameters.tools = definitions
        }
        if let choice = body.value("tool_choice") {
            parameters.toolChoice = try Self.toolChoice(choice)
        }
        self.parameters = parameters
        user = try body.string("user", maxBytes: Limits.userBytes)
        hints = try Self.hints(body.value("switchyard"))
        hints.model = model
    }

    // MARK: - Messages

    static func message(_ raw: JSON, path: String) throws(FrontDoorError) -> Message {
        let reader = try JSONReader(raw, path: path)
        guard let roleText = try reader.string("role", maxBytes: 32) else {
            throw .invalidRequest(param: reader.param("role"), message: "'\(reader.param("role"))' is required")
        }
        let role: Message.Role
        switch roleText {
        case "system", "developer": role = .system
        case "user": role = .user
        case "assistant": role = .assistant
        case "tool": role = .tool
        default:
            throw .invalidRequest(
                param: reader.param("role"),
                message: "'\(reader.param("role"))' must be system, developer, user, assistant or tool")
        }
        var content: [ContentPart] = []
        switch reader.value("content") {
        case nil: break
        case .string(let text): content = [.text(text)]
        case .array(let parts):
            guard parts.count <= Limits.partsPerMessage else {
                throw .invalidRequest(param: reader.param("content"), message: "too many content parts")
            }
            for (i, part) in parts.enumerated() {
                content.append(try Self.part(part, path: "\(reader.param("content"))[\(i)]"))
            }
        default: throw reader.wrong("content", "a string or an array of content parts")
        }
        var toolCalls: [ToolCall]?
        if let calls = try reader.array("tool_calls", maxCount: Limits.tools) {
            var parsed: [ToolCall] = []
            for (i, call) in calls.enumerated() {
                let c = try JSONReader(call, path: "\(reader.param("tool_calls"))[\(i)]")
                let function = try JSONReader(c.value("function") ?? .null, path: c.param("function"))
                guard let id = try c.string("id", maxBytes: 256), let name = try function.string("name", maxBytes: 256)
                else { throw .invalidRequest(param: c.path, message: "'\(c.path)' needs id and function.name") }
                parsed.append(ToolCall(id: id, name: name, arguments: try function.string("arguments") ?? "{}"))
            }
            toolCalls = parsed
        }
        let toolCallID = try reader.string("tool_call_id", maxBytes: 256)
        if role == .tool, toolCallID == nil {
            throw .invalidRequest(param: reader.param("tool_call_id"), message: "a tool message needs 'tool_call_id'")
        }
        if content.isEmpty, toolCalls == nil {
            throw .invalidRequest(param: reader.param("content"), message: "'\(reader.param("content"))' is required")
        }
        return Message(
            role: role, content: content, toolCalls: toolCalls, toolCallID: toolCallID,
            name: try reader.string("name", maxBytes: 256))
    }

    static func part(_ raw: JSON, path: String) throws(FrontDoorError) -> ContentPart {
        let reader = try JSONReader(raw, path: path)
        switch try reader.string("type", maxBytes: 32) {
        case "text":
            guard let text = try reader.string("text") else { throw reader.wrong("text", "a string") }
            return .text(text)
        case "image_url":
            let image = try JSONReader(reader.value("image_url") ?? .null, path: reader.param("image_url"))
            guard let url = try image.string("url", maxBytes: 64 << 20) else { throw image.wrong("url", "a string") }
            do { return .image(try ImageReference(parsing: url)) } catch {
                throw .invalidRequest(param: image.param("url"), message: error.errorMessage)
            }
        default:
            throw .invalidRequest(
                param: reader.param("type"), message: "'\(reader.param("type"))' must be text or image_url")
        }
    }

    // MARK: - Parameters

    static func responseFormat(_ raw: JSON?) throws(FrontDoorError) -> ResponseFormat? {
        guard let raw else { return nil }
        let reader = try JSONReader(raw, path: "response_format")
        switch try reader.string("type", maxBytes: 32) {
        case "text": return .text
        case "json_object": return .json
        case "json_schema":
            let schema = try JSONReader(reader.value("json_schema") ?? .null, path: "response_format.json_schema")
            guard let body = schema.value("schema") else { throw schema.wrong("schema", "an object") }
            return .jsonSchema(
                name: try schema.string("name", maxBytes: 64) ?? "response", schema: body,
                strict: try schema.bool("strict") ?? false)
        default:
            throw .invalidRequest(
                param: "response_format.type",
                message: "'response_format.type' must be text, json_object or json_schema")
        }
    }

    static func tool(_ raw: JSON, path: String) throws(FrontDoorError) -> ToolDefinition {
        let reader = try JSONReader(raw, path: path)
        guard try reader.string("type", maxBytes: 32) == "function" else {
            throw .invalidRequest(param: reader.param("type"), message: "'\(reader.param("type"))' must be function")
        }
        let function = try JSONReader(reader.value("function") ?? .null, path: reader.param("function"))
        guard let name = try function.string("name", maxBytes: 64), !name.isEmpty else {
            throw function.wrong("name", "a non-empty string")
        }
        return ToolDefinition(
            name: name, description: try function.string("description", maxBytes: 4096),
            parameters: function.value("parameters"))
    }

    static func toolChoice(_ raw: JSON) throws(FrontDoorError) -> ToolChoice {
        switch raw {
        case .string("auto"): return .auto
        case .string("none"): return .none
        case .string("required"): return .required
        case .object:
            let reader = try JSONReader(raw, path: "tool_choice")
            let function = try JSONReader(reader.value("function") ?? .null, path: "tool_choice.function")
            guard let name = try function.string("name", maxBytes: 64) else { throw function.wrong("name", "a string") }
            return .function(name)
        default:
            throw .invalidRequest(
                param: "tool_choice", message: "'tool_choice' must be auto, none, required or a function")
        }
    }

    /// The `switchyard` extension object.
    static func hints(_ raw: JSON?) throws(FrontDoorError) -> RoutingHints {
        guard let raw else { return RoutingHints() }
        let reader = try JSONReader(raw, path: "switchyard")
        var hints = RoutingHints()
        if let route = try reader.string("route", maxBytes: 32) {
            guard let strategy = RoutingStrategy(rawValue: route) else {
                throw .invalidRequest(
                    param: "switchyard.route", message: "'switchyard.route' must be cheapest, fastest or best")
            }
            hints.route = strategy
        }
        if let cost = try reader.string("max_cost_usd", maxBytes: 32) {
            guard let amount = PicoUSD(decimal: cost), amount.rawValue >= 0 else {
                throw .invalidRequest(
                    param: "switchyard.max_cost_usd",
                    message: "'switchyard.max_cost_usd' must be a decimal string of dollars (\"0.01\")")
            }
            hints.maxCostPicoUSD = amount
        }
        hints.maxLatencyMs = try reader.int("max_latency_ms", range: 1...900_000).map { Int($0) }
        if let category = try reader.string("category", maxBytes: 32) {
            guard let value = TaskCategory(rawValue: category) else {
                throw .invalidRequest(param: "switchyard.category", message: "'switchyard.category' is not a category")
            }
            hints.category = value
        }
        if let tags = try reader.array("tags", maxCount: Limits.tags) {
            var texts: [String] = []
            for tag in tags {
                guard case .string(let text) = tag, (1...64).contains(text.utf8.count) else {
                    throw .invalidRequest(param: "switchyard.tags", message: "tags are short strings")
                }
                texts.append(text)
            }
            hints.tags = texts
        }
        // A collection to retrieve from (the policy decides whether the tenant may); its name is
        // checked again by the retrieval step.
        if let collection = try reader.string("retrieval", maxBytes: 64) {
            guard !collection.isEmpty else {
                throw .invalidRequest(
                    param: "switchyard.retrieval", message: "'switchyard.retrieval' names a collection")
            }
            hints.retrieval = collection
        }
        return hints
    }
}
