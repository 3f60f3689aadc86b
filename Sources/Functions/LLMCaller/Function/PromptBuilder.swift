import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Builds the provider-neutral `ChatRequest` from the step's input, and refuses bad input with a
/// typed error before anything is sent: the one place the contract's `Message`, `ContentPart`,
/// `ImageReference`, `GenerationParameters`, `ToolDefinition`, `ToolCall` and `ToolChoice` map to
/// the codecs' chat types.
///
/// The prompt is `request.messages` (the request's standalone `images` joining its last user
/// message), or on the Map path the batch `item` (its text and images as one user message, after
/// any request messages). With `plan.groundWithDetections` and a `grounding` outcome, a system
/// message states what the detector saw.
enum PromptBuilder {
    static let maxMessages = 2048
    static let maxTools = 128
    static let maxStops = 16
    static let maxTokensLimit = 10_000_000

    static func chatRequest(_ input: LLMStepInput, images: ImagePreparation) async throws(StepError) -> ChatRequest {
        var messages: [ChatMessage] = []
        let source = input.request?.messages ?? []
        guard source.count <= maxMessages else { throw invalid("request.messages: more than \(maxMessages) messages") }
        // Every reference is policed before any S3 object is read.
        try images.checkAll(input)
        for (i, message) in source.enumerated() {
            messages.append(try await chatMessage(message, path: "request.messages[\(i)]", images: images))
        }
        if let item = input.item {
            guard Identifier.isValid(item.id, maxBytes: 128) else {
                throw invalid("item.id: must be 1...128 bytes without control characters")
            }
            var parts: [ChatPart] = []
            if let text = item.text, !text.isEmpty { parts.append(.text(text)) }
            for (i, image) in (item.images ?? []).enumerated() {
                parts.append(.image(try await images.prepare(image, path: "item.images[\(i)]")))
            }
            guard !parts.isEmpty else { throw invalid("item: needs text or images") }
            messages.append(ChatMessage(role: .user, content: parts))
        } else if let references = input.request?.images, !references.isEmpty {
            var parts: [ChatPart] = []
            for (i, image) in references.enumerated() {
                parts.append(.image(try await images.prepare(image, path: "request.images[\(i)]")))
            }
            if let last = messages.lastIndex(where: { $0.role == .user }) {
                messages[last].content += parts
            } else {
                messages.append(ChatMessage(role: .user, content: parts))
            }
        }
        guard messages.contains(where: { $0.role != .system }) else {
            throw invalid(
                input.request == nil && input.item == nil
                    ? "the input has neither a request nor a batch item"
                    : "messages: at least one user or assistant message is required")
        }
        if input.plan.groundWithDetections, let grounding = input.grounding {
            let insertAt = messages.firstIndex { $0.role != .system } ?? 0
            messages.insert(ChatMessage(role: .system, text: Grounding.describe(grounding)), at: insertAt)
        }

        let parameters = input.item != nil ? (input.parameters ?? input.request?.parameters) : input.request?.parameters
        var chat = ChatRequest(messages: messages, stream: input.request?.stream ?? false)
        if let p = parameters { try apply(p, to: &chat) }
        let user = input.request?.user ?? input.context.user
        if let user {
            guard Identifier.isValid(user, maxBytes: 256) else {
                throw invalid("user: must be 1...256 bytes without control characters")
            }
            chat.user = user
        }
        return chat
    }

    // MARK: - Messages

    static func chatMessage(_ m: Message, path: String, images: ImagePreparation) async throws(StepError)
        -> ChatMessage
    {
        let role: ChatRole =
            switch m.role {
            case .system: .system
            case .user: .user
            case .assistant: .assistant
            case .tool: .tool
            }
        var parts: [ChatPart] = []
        for (i, part) in m.content.enumerated() {
            switch part {
            case .text(let text):
                parts.append(.text(text))
            case .image(let reference):
                guard role == .user else { throw invalid("\(path).content[\(i)]: only user messages carry images") }
                parts.append(
                    .image(try await images.prepare(reference, path: "\(path).content[\(i)]")))
            }
        }
        let calls = m.toolCalls ?? []
        if !calls.isEmpty, role != .assistant { throw invalid("\(path).toolCalls: only assistant messages call tools") }
        for (i, call) in calls.enumerated() {
            guard Identifier.isValid(call.id, maxBytes: 256), isToolName(call.name) else {
                throw invalid("\(path).toolCalls[\(i)]: needs an id and a tool name of 1...64 letters, digits, _ or -")
            }
        }
        let hasText = parts.contains { if case .text(let t) = $0 { !t.isEmpty } else { true } }
        switch role {
        case .tool:
            guard let id = m.toolCallID, Identifier.isValid(id, maxBytes: 256) else {
                throw invalid("\(path).toolCallId: a tool message must name the call it answers")
            }
        case .assistant:
            guard hasText || !calls.isEmpty else { throw invalid("\(path).content: must not be empty") }
        case .system, .user:
            guard hasText else { throw invalid("\(path).content: must not be empty") }
        }
        return ChatMessage(
            role: role, content: parts, toolCalls: calls, toolCallID: role == .tool ? m.toolCallID : nil)
    }

    // MARK: - Parameters

    static func apply(_ p: GenerationParameters, to chat: inout ChatRequest) throws(StepError) {
        if let max = p.maxTokens {
            guard (1...maxTokensLimit).contains(max) else {
                throw invalid("parameters.maxTokens: must be within 1...\(maxTokensLimit), got \(max)")
            }
            chat.maxTokens = max
        }
        if let t = p.temperature {
            guard t.isFinite, (0...2).contains(t) else { throw invalid("parameters.temperature: must be within 0...2") }
            chat.temperature = t
        }
        if let top = p.topP {
            guard top.isFinite, top > 0, top <= 1 else { throw invalid("parameters.topP: must be within (0, 1]") }
            chat.topP = top
        }
        if let stop = p.stop {
            guard stop.count <= maxStops, stop.allSatisfy({ (1...1000).contains($0.utf8.count) }) else {
                throw invalid("parameters.stop: at most \(maxStops) sequences of 1...1000 bytes")
            }
            chat.stop = stop
        }
        chat.seed = p.seed
        if let format = p.responseFormat {
            if case .jsonSchema(let name, _, _) = format, !isToolName(name) {
                throw invalid("parameters.responseFormat.name: 1...64 letters, digits, _ or -")
            }
            chat.responseFormat = format
        }
        let tools = p.tools ?? []
        guard tools.count <= maxTools else { throw invalid("parameters.tools: at most \(maxTools) tools") }
        var names = Set<String>()
        for (i, tool) in tools.enumerated() {
            guard isToolName(tool.name) else {
                throw invalid("parameters.tools[\(i)].name: 1...64 letters, digits, _ or -")
            }
            guard names.insert(tool.name).inserted else {
                throw invalid("parameters.tools[\(i)].name: \(tool.name) is defined twice")
            }
        }
        chat.tools = tools
        if let choice = p.toolChoice {
            switch choice {
            case .required where tools.isEmpty:
                throw invalid("parameters.toolChoice: required needs tools")
            case .function(let name) where !names.contains(name):
                throw invalid("parameters.toolChoice: \(name.prefix(64)) is not among the tools")
            default: break
            }
            chat.toolChoice = choice
        }
    }

    /// OpenAI's rule for tool (and schema) names, which every provider accepts.
    static func isToolName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
                    || b == 0x2D
            }
    }

    static func invalid(_ message: String) -> StepError {
        StepError(errorType: LLMError.invalidRequest("").errorType, errorMessage: message)
    }
}
