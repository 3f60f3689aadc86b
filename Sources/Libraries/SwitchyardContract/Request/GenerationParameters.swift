import SwitchyardJSON

/// What the client asked of generation, passed through to the provider (mapped by its codec).
public struct GenerationParameters: Codable, Sendable, Equatable {
    /// Most output tokens; the router's plan caps it by the model's own limit.
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]?
    public var seed: Int64?
    public var responseFormat: ResponseFormat?
    public var tools: [ToolDefinition]?
    public var toolChoice: ToolChoice?

    public init(
        maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, stop: [String]? = nil,
        seed: Int64? = nil,
        responseFormat: ResponseFormat? = nil, tools: [ToolDefinition]? = nil, toolChoice: ToolChoice? = nil
    ) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.seed = seed
        self.responseFormat = responseFormat
        self.tools = tools
        self.toolChoice = toolChoice
    }
}

/// `text`, `json` (any JSON object) or `jsonSchema` (with the schema passed through).
public enum ResponseFormat: Codable, Sendable, Equatable {
    case text
    case json
    case jsonSchema(name: String, schema: JSON, strict: Bool)

    enum CodingKeys: String, CodingKey { case type, name, schema, strict }

    public init(from decoder: any Decoder) throws {
        if let text = try? decoder.singleValueContainer().decode(String.self) {
            switch text {
            case "text": self = .text
            case "json", "json_object": self = .json
            default:
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: decoder.codingPath,
                        debugDescription: "responseFormat \"\(text.prefix(40))\" is not text or json"))
            }
            return
        }
        let c = try decoder.container(keyedBy: CodingKeys.self)
        switch try c.decode(String.self, forKey: .type) {
        case "text": self = .text
        case "json", "json_object": self = .json
        case "json_schema", "jsonSchema":
            self = .jsonSchema(
                name: try c.decodeIfPresent(String.self, forKey: .name) ?? "response",
                schema: try c.decode(JSON.self, forKey: .schema),
                strict: try c.decodeIfPresent(Bool.self, forKey: .strict) ?? false)
        case let other:
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath,
                    debugDescription: "responseFormat type \"\(other.prefix(40))\" is not text, json or json_schema"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text: try c.encode("text", forKey: .type)
        case .json: try c.encode("json", forKey: .type)
        case .jsonSchema(let name, let schema, let strict):
            try c.encode("json_schema", forKey: .type)
            try c.encode(name, forKey: .name)
            try c.encode(schema, forKey: .schema)
            try c.encode(strict, forKey: .strict)
        }
    }
}
