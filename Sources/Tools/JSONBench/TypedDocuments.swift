import SwitchyardContract

/// An OpenAI chat completion, as a provider returns it (the llm-caller's wire types are internal
/// to SwitchyardProviders, so the benchmark keeps its own copy of the shape).
struct ChatCompletion: Codable, Equatable {
    struct Choice: Codable, Equatable {
        struct Message: Codable, Equatable {
            var role: String
            var content: String?
        }
        var index: Int
        var message: Message
        var finish_reason: String?
    }
    struct Usage: Codable, Equatable {
        struct PromptDetails: Codable, Equatable { var cached_tokens: Int64? }
        struct CompletionDetails: Codable, Equatable { var reasoning_tokens: Int64? }
        var prompt_tokens: Int64
        var completion_tokens: Int64
        var total_tokens: Int64
        var prompt_tokens_details: PromptDetails?
        var completion_tokens_details: CompletionDetails?
    }
    var id: String
    var object: String
    var created: Int64
    var model: String
    var choices: [Choice]
    var usage: Usage
    var system_fingerprint: String?
}

/// Which typed decode a file gets, by its name.
enum TypedDocument {
    case inferenceRequest
    case chatCompletion

    init?(fileName: String) {
        if fileName.hasSuffix("router-event.json") {
            self = .inferenceRequest
        } else if fileName.hasSuffix("provider-response.json") {
            self = .chatCompletion
        } else {
            return nil
        }
    }
}
