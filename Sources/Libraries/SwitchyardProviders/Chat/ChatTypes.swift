import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Who wrote a message. Providers that take the system prompt separately (Anthropic, Bedrock)
/// get the `.system` messages lifted out by their codec; `.tool` messages carry a tool's result.
public enum ChatRole: String, Sendable, Equatable, Codable, CaseIterable {
    case system, user, assistant, tool
}

/// An image given to a vision-capable model, ready for a codec: either a URL the provider fetches
/// itself, or bytes whose format was sniffed (never taken from a declared type alone).
public enum ImageSource: Sendable, Equatable {
    /// An `https://` URL the provider fetches itself.
    case url(String)
    /// Inline bytes, base64-encoded, with their sniffed media type (`image/jpeg`, `image/png`…).
    case base64(mediaType: String, data: String)
}

/// One part of a chat message as codecs see it (the contract's `ContentPart` after its images
/// were checked and sniffed).
public enum ChatPart: Sendable, Equatable {
    case text(String)
    case image(ImageSource)
}

/// One message of a provider-neutral chat.
public struct ChatMessage: Sendable, Equatable {
    public var role: ChatRole
    public var content: [ChatPart]
    /// Calls the assistant asked for (role `assistant`).
    public var toolCalls: [ToolCall]
    /// The call a `.tool` message answers.
    public var toolCallID: String?

    public init(role: ChatRole, content: [ChatPart], toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    public init(role: ChatRole, text: String) { self.init(role: role, content: [.text(text)]) }

    /// All text parts joined; what a provider that takes plain strings receives.
    public var text: String {
        content.compactMap { if case .text(let t) = $0 { t } else { nil } }.joinedText(separator: "\n")
    }

    public var hasImages: Bool { content.contains { if case .image = $0 { true } else { false } } }
}

/// A provider-neutral chat request. Codecs turn it into each provider's wire format; the
/// generation fields are the OpenAI surface (decisions.md), mapped per provider by its codec.
public struct ChatRequest: Sendable, Equatable {
    public var messages: [ChatMessage]
    /// Most output tokens; `nil` leaves it to the provider (or, where the provider requires a
    /// value, to the model's own limit).
    public var maxTokens: Int?
    public var temperature: Double?
    public var topP: Double?
    public var stop: [String]
    public var seed: Int64?
    public var responseFormat: ResponseFormat
    public var tools: [ToolDefinition]
    public var toolChoice: ToolChoice?
    /// The end user, for the provider's abuse monitoring (OpenAI `user`, Anthropic `metadata.user_id`).
    public var user: String?
    public var stream: Bool

    public init(
        messages: [ChatMessage], maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil,
        stop: [String] = [], seed: Int64? = nil, responseFormat: ResponseFormat = .text, tools: [ToolDefinition] = [],
        toolChoice: ToolChoice? = nil, user: String? = nil, stream: Bool = false
    ) {
        self.messages = messages
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.stop = stop
        self.seed = seed
        self.responseFormat = responseFormat
        self.tools = tools
        self.toolChoice = toolChoice
        self.user = user
        self.stream = stream
    }

    /// The system prompt: every `.system` message's text, in order.
    public var systemPrompt: String? {
        let parts = messages.filter { $0.role == .system }.map(\.text)
        return parts.isEmpty ? nil : parts.joinedText(separator: "\n\n")
    }

    /// The messages other than `.system` ones.
    public var conversation: [ChatMessage] { messages.filter { $0.role != .system } }

    public var hasImages: Bool { messages.contains { $0.hasImages } }

    /// What providers without a JSON mode (Anthropic, Bedrock) are told instead, appended to the
    /// system prompt; nil for plain text.
    public var responseFormatInstruction: String? {
        switch responseFormat {
        case .text: return nil
        case .json: return "Respond with a single JSON object and nothing else."
        case .jsonSchema(let name, let schema, _):
            return "Respond with a single JSON object (\"\(name)\") that conforms to this JSON Schema, and nothing "
                + "else: " + String(decoding: schema.serialized(), as: UTF8.self)
        }
    }

    /// The system prompt with the response-format instruction, for providers without a JSON mode.
    public var systemPromptWithFormat: String? {
        guard let instruction = responseFormatInstruction else { return systemPrompt }
        return systemPrompt.map { $0 + "\n\n" + instruction } ?? instruction
    }
}

/// Why generation stopped, normalised.
public enum FinishReason: String, Sendable, Equatable, Codable {
    case stop, length
    case contentFilter = "content_filter"
    case toolUse = "tool_use"
    case other
}

/// A provider's answer, normalised.
public struct ChatResponse: Sendable, Equatable {
    /// The model id as the provider reported it (may be more specific than the one requested).
    public var model: String
    public var text: String
    public var finishReason: FinishReason
    /// Tool calls the model asked for, in order.
    public var toolCalls: [ToolCall]
    public var usage: UsageRecord.Tokens
    /// The provider's request id (`x-request-id`, `request-id`, `x-amzn-RequestId`), for support tickets.
    public var providerRequestID: String?
    /// From sending the request to the first generated text (streamed calls only).
    public var timeToFirstToken: Duration?

    public init(
        model: String, text: String, finishReason: FinishReason, toolCalls: [ToolCall] = [], usage: UsageRecord.Tokens,
        providerRequestID: String? = nil, timeToFirstToken: Duration? = nil
    ) {
        self.model = model
        self.text = text
        self.finishReason = finishReason
        self.toolCalls = toolCalls
        self.usage = usage
        self.providerRequestID = providerRequestID
        self.timeToFirstToken = timeToFirstToken
    }
}
