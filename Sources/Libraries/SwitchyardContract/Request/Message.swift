import SwitchyardCore
import SwitchyardJSON

/// One chat message in OpenAI's shape: a role, content as a string or typed parts, and for tool
/// use the assistant's `toolCalls` or a tool result's `toolCallID`.
public struct Message: Codable, Sendable, Equatable {
    public var role: Role
    public var content: [ContentPart]
    /// Calls the assistant asked for (role `assistant`).
    public var toolCalls: [ToolCall]?
    /// The call this message answers (role `tool`).
    public var toolCallID: String?
    /// Participant name (OpenAI `name`).
    public var name: String?

    public enum Role: String, Codable, Sendable, CaseIterable {
        case system, user, assistant, tool
    }

    public init(
        role: Role, content: [ContentPart], toolCalls: [ToolCall]? = nil, toolCallID: String? = nil, name: String? = nil
    ) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
        self.name = name
    }

    public init(role: Role, text: String) { self.init(role: role, content: [.text(text)]) }

    /// All text parts joined with newlines.
    public var text: String {
        content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joinedText(separator: "\n")
    }

    /// The images among the parts.
    public var images: [ImageReference] {
        content.compactMap { if case .image(let i) = $0 { i } else { nil } }
    }

    enum CodingKeys: String, CodingKey {
        case role, content, name
        case toolCalls
        case toolCallID = "toolCallId"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        role = try c.decode(Role.self, forKey: .role)
        if let text = try? c.decode(String.self, forKey: .content) {
            content = [.text(text)]
        } else if c.contains(.content), try !c.decodeNil(forKey: .content) {
            content = try c.decode([ContentPart].self, forKey: .content)
        } else {
            content = []
        }
        toolCalls = try c.decodeIfPresent([ToolCall].self, forKey: .toolCalls)
        toolCallID = try c.decodeIfPresent(String.self, forKey: .toolCallID)
        name = try c.decodeIfPresent(String.self, forKey: .name)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(role, forKey: .role)
        if content.count == 1, case .text(let text) = content[0] {
            try c.encode(text, forKey: .content)
        } else {
            try c.encode(content, forKey: .content)
        }
        try c.encodeIfPresent(toolCalls, forKey: .toolCalls)
        try c.encodeIfPresent(toolCallID, forKey: .toolCallID)
        try c.encodeIfPresent(name, forKey: .name)
    }
}

/// A part of a message: text or an image. On the wire, OpenAI's shapes
/// (`{"type":"text","text":…}`, `{"type":"image_url","image_url":{"url":…}}`); Anthropic's
/// `{"type":"image","source":{"type":"base64"|"url",…}}` is accepted on input too.
public enum ContentPart: Codable, Sendable, Equatable {
    case text(String)
    case image(ImageReference)

    enum CodingKeys: String, CodingKey {
        case type, text, source, image
        case imageURL = "image_url"
    }
    struct URLPart: Codable { var url: String }
    struct SourcePart: Codable {
        var type: String
        var mediaType: String?
        var data: String?
        var url: String?
        enum CodingKeys: String, CodingKey {
            case type, data, url
            case mediaType = "media_type"
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decode(String.self, forKey: .type)
        func reference(_ text: String) throws -> ImageReference {
            do { return try ImageReference(parsing: text) } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath, debugDescription: error.errorMessage))
            }
        }
        switch type {
        case "text":
            self = .text(try c.decode(String.self, forKey: .text))
        case "image_url":
            self = .image(try reference(try c.decode(URLPart.self, forKey: .imageURL).url))
        case "image":
            if let source = try c.decodeIfPresent(SourcePart.self, forKey: .source) {
                if let url = source.url {
                    self = .image(try reference(url))
                } else if let data = source.data, let mediaType = source.mediaType {
                    self = .image(try reference("data:\(mediaType);base64,\(data)"))
                } else {
                    throw DecodingError.dataCorrupted(
                        .init(
                            codingPath: c.codingPath, debugDescription: "image source needs url, or media_type and data"
                        ))
                }
            } else {
                self = .image(try reference(try c.decode(String.self, forKey: .image)))
            }
        default:
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath,
                    debugDescription: "content part type \"\(type.prefix(40))\" is not text, image_url or image"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .text(let text):
            try c.encode("text", forKey: .type)
            try c.encode(text, forKey: .text)
        case .image(let reference):
            try c.encode("image_url", forKey: .type)
            try c.encode(URLPart(url: reference.wireValue), forKey: .imageURL)
        }
    }
}

/// A tool the model may call (OpenAI `tools[].function`, Anthropic `tools[]`, Bedrock `toolSpec`).
public struct ToolDefinition: Codable, Sendable, Equatable {
    public var name: String
    public var description: String?
    /// JSON Schema of the arguments, passed through unchanged.
    public var parameters: JSON?

    public init(name: String, description: String? = nil, parameters: JSON? = nil) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A call the model asked for; `arguments` is the JSON text the model wrote.
public struct ToolCall: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var arguments: String

    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }
}

/// Whether and which tool the model must call.
public enum ToolChoice: Codable, Sendable, Equatable {
    case auto
    case none
    case required
    case function(String)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let text = try? c.decode(String.self) {
            switch text {
            case "auto": self = .auto
            case "none": self = .none
            case "required", "any": self = .required
            default: self = .function(text)
            }
        } else {
            struct Named: Codable { var name: String }
            self = .function(try c.decode(Named.self).name)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .auto: try c.encode("auto")
        case .none: try c.encode("none")
        case .required: try c.encode("required")
        case .function(let name): try c.encode(["name": name])
        }
    }
}
