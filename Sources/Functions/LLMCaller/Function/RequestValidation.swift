import SwitchyardCore
import SwitchyardProviders

/// Turns the event into a `ChatRequest`, refusing bad input with `LLM.InvalidRequest` before
/// anything is sent: empty messages, unknown roles, empty parts, and images that are not images.
public enum RequestValidation {
    public static let maxImageBase64Bytes = 20 << 20
    static let imageTypes = ["image/jpeg", "image/png", "image/gif", "image/webp"]

    public static func chatRequest(from input: LLMCallInput) throws(LLMError) -> ChatRequest {
        guard !input.messages.isEmpty else { throw .invalidRequest("messages: at least one message is required") }
        var messages: [ChatMessage] = []
        for (i, message) in input.messages.enumerated() {
            guard let role = ChatRole(rawValue: message.role) else {
                throw .invalidRequest(
                    "messages[\(i)].role: \"\(message.role.prefix(40))\" is not one of system, user, assistant")
            }
            messages.append(
                ChatMessage(role: role, content: try content(message.content, path: "messages[\(i)].content")))
        }
        guard messages.contains(where: { $0.role != .system }) else {
            throw .invalidRequest("messages: at least one user or assistant message is required")
        }
        if let max = input.maxTokens, max <= 0 { throw .invalidRequest("maxTokens: must be positive, got \(max)") }
        if let t = input.temperature, !(0...2).contains(t) {
            throw .invalidRequest("temperature: must be within 0...2, got \(t)")
        }
        let format: ResponseFormat
        switch input.responseFormat ?? "text" {
        case "text": format = .text
        case "json": format = .json
        case let other: throw .invalidRequest("responseFormat: \"\(other.prefix(40))\" is not text or json")
        }
        return ChatRequest(
            messages: messages, maxTokens: input.maxTokens, temperature: input.temperature, topP: input.topP,
            stop: input.stop ?? [], responseFormat: format, stream: input.stream ?? false)
    }

    static func content(_ content: InputContent, path: String) throws(LLMError) -> [ContentPart] {
        switch content {
        case .text(let text):
            guard !text.isEmpty else { throw .invalidRequest("\(path): must not be empty") }
            return [.text(text)]
        case .parts(let parts):
            guard !parts.isEmpty else { throw .invalidRequest("\(path): must not be empty") }
            var out: [ContentPart] = []
            for (i, part) in parts.enumerated() {
                out.append(try self.part(part, path: "\(path)[\(i)]"))
            }
            return out
        }
    }

    static func part(_ part: InputPart, path: String) throws(LLMError) -> ContentPart {
        switch part.type {
        case "text":
            guard let text = part.text, !text.isEmpty else {
                throw .invalidRequest("\(path).text: must be a non-empty string")
            }
            return .text(text)
        case "image", "image_url":
            if let url = part.url ?? part.imageURL?.url {
                if url.hasPrefix("data:") { return .image(try dataURL(url, path: path)) }
                guard url.hasPrefix("https://") || url.hasPrefix("http://") else {
                    throw .invalidRequest("\(path).url: must be an http(s) or data: URL")
                }
                return .image(.url(url))
            }
            guard let data = part.data, let mediaType = part.mediaType else {
                throw .invalidRequest("\(path): an image needs either url, or mediaType and data")
            }
            return .image(try inlineImage(mediaType: mediaType, data: data, path: path))
        default:
            throw .invalidRequest("\(path).type: \"\(part.type.prefix(40))\" is not text, image or image_url")
        }
    }

    static func dataURL(_ url: String, path: String) throws(LLMError) -> ImageSource {
        // data:image/png;base64,AAAA
        guard let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else {
            throw .invalidRequest("\(path).url: data URLs must be base64 (data:<type>;base64,...)")
        }
        let mediaType = String(url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7))
        return try inlineImage(mediaType: mediaType, data: String(url[url.index(after: comma)...]), path: path)
    }

    /// Checks that the data decodes and starts with the signature of the declared type.
    static func inlineImage(mediaType: String, data: String, path: String) throws(LLMError) -> ImageSource {
        guard imageTypes.contains(mediaType) else {
            throw .invalidRequest(
                "\(path).mediaType: \"\(mediaType.prefix(40))\" is not one of \(imageTypes.joined(separator: ", "))")
        }
        guard data.utf8.count <= maxImageBase64Bytes else {
            throw .invalidRequest("\(path).data: image larger than \(maxImageBase64Bytes) bytes of base64")
        }
        // The first 32 characters decode to 24 bytes: enough for every signature checked.
        let head: [UInt8]
        do { head = try Base64.decode(String(data.prefix(32))) } catch {
            throw .invalidRequest("\(path).data: not valid base64")
        }
        guard let detected = sniff(head) else {
            throw .invalidRequest("\(path).data: not a JPEG, PNG, GIF or WebP image")
        }
        guard detected == mediaType else {
            throw .invalidRequest("\(path).data: the bytes are \(detected), but mediaType says \(mediaType)")
        }
        do { _ = try Base64.decode(data) } catch { throw .invalidRequest("\(path).data: not valid base64") }
        return .base64(mediaType: mediaType, data: data)
    }

    static func sniff(_ b: [UInt8]) -> String? {
        if b.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if b.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return "image/png" }
        if b.starts(with: Array("GIF87a".utf8)) || b.starts(with: Array("GIF89a".utf8)) { return "image/gif" }
        if b.count >= 12, b.starts(with: Array("RIFF".utf8)), Array(b[8..<12]) == Array("WEBP".utf8) {
            return "image/webp"
        }
        return nil
    }
}
