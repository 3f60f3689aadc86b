import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The answer of a stream whose content arrives as indexed blocks (Anthropic Messages, Bedrock
/// ConverseStream): text pieces, and tool calls that one event starts and whose input JSON then
/// arrives in pieces. Each codec's accumulator maps its own event names onto these calls.
struct StreamedBlocks {
    private var parts: [String] = []
    private var tools: [Int: (id: String, name: String, input: String)] = [:]
    /// True once text or a tool call has arrived.
    private(set) var hasOutput = false

    var text: String { parts.joinedText() }

    mutating func appendText(_ piece: String) {
        parts.append(piece)
        hasOutput = true
    }

    mutating func startTool(at index: Int, id: String, name: String) {
        tools[index] = (id, name, "")
        hasOutput = true
    }

    /// Appends a piece of tool `index`'s input JSON; false when no tool block started at `index`.
    mutating func appendToolInput(_ piece: String, at index: Int) -> Bool {
        guard var tool = tools[index] else { return false }
        tool.input += piece
        tools[index] = tool
        return true
    }

    /// The tool calls in block order; a tool whose input never arrived gets `{}`.
    var toolCalls: [ToolCall] {
        tools.sorted { $0.key < $1.key }.map { _, tool in
            ToolCall(id: tool.id, name: tool.name, arguments: tool.input.isEmpty ? "{}" : tool.input)
        }
    }

    /// An event's block index (its `field`), within 0..<1024 so a stream cannot grow the tool map without bound.
    static func index(_ value: JSON?, field: String, provider: ProviderID) throws(LLMError) -> Int {
        guard let i = value?.int64Value, (0..<1024).contains(i) else {
            throw .badResponse(provider: provider, detail: "content block without a valid \(field)")
        }
        return Int(i)
    }
}
