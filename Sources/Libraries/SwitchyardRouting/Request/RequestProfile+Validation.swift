import SwitchyardContract
import SwitchyardCore

/// Turning the contract's `InferenceRequest` into a `RequestProfile`, refusing what the router
/// cannot route. Every number the client sent is range-checked here, at the boundary, so the
/// arithmetic done with it afterwards cannot leave its range.
extension RequestProfile {
    /// - Throws: `Router.InvalidRequest` (an identifier or parameter out of range),
    ///   `Router.InvalidHint`, `Router.EmptyPrompt`, `Router.PromptTooLarge`,
    ///   `Router.UnsupportedContent`, `Router.ContradictoryHints`, `Router.UnknownTenant` (empty id).
    public init(_ request: InferenceRequest, limits: PolicyLimits) throws(RouterError) {
        guard !request.tenantID.isEmpty else { throw .unknownTenant("") }
        guard Identifier.isValid(request.tenantID) else {
            throw .invalidRequest(field: "tenantId", problem: "must be 1...256 bytes without control characters")
        }
        guard Identifier.isValid(request.requestID) else {
            throw .invalidRequest(field: "requestId", problem: "must be 1...256 bytes without control characters")
        }
        if let user = request.user, !Identifier.isValid(user) {
            throw .invalidRequest(field: "user", problem: "must be 1...256 bytes without control characters")
        }
        if let received = request.receivedAtMs, received < 0 {
            throw .invalidRequest(field: "receivedAtMs", problem: "must not be negative")
        }
        let hints = try ParsedHints(request.hints)
        let maxTokens = try Self.checkParameters(request.parameters, limits: limits)

        var texts = TextGatherer()
        var images = 0
        for (i, message) in request.messages.enumerated() {
            for (j, part) in message.content.enumerated() {
                switch part {
                case .text(let text): texts.add(text, role: message.role)
                case .image(let image):
                    try Self.checkImage(image, at: "messages[\(i)].content[\(j)]", limits: limits)
                    images += 1
                }
            }
            // Tool calls and results are prompt the model reads; they count, the classifier skips them.
            for call in message.toolCalls ?? [] { texts.measure(call.name.utf8.count + call.arguments.utf8.count) }
        }
        for tool in request.parameters?.tools ?? [] {
            texts.measure(tool.name.utf8.count + (tool.description?.utf8.count ?? 0))
        }
        for (i, image) in (request.images ?? []).enumerated() {
            try Self.checkImage(image, at: "images[\(i)]", limits: limits)
            images += 1
        }

        var batchCount = 1
        var batchItems: [BatchItem] = []
        var modality: RequestModality
        var usageModality: Modality
        if let batch = request.batch, !batch.isEmpty {
            guard batch.count <= limits.maxBatchItems else {
                throw .promptTooLarge("batch has \(batch.count) items; the limit is \(limits.maxBatchItems)")
            }
            if hints.route == .fastest || hints.route == .best {
                throw .contradictoryHints(
                    "a batch always uses the low-cost strategy; route \"\(hints.route!.rawValue)\" cannot apply")
            }
            // Per-item figures: the largest item sizes the estimate, the first items feed the classifier.
            var largest = 0
            var itemImages = 0
            var anyText = false
            var ids = Set<String>()
            for (i, item) in batch.enumerated() {
                // Item ids become part of usage keys (`batch/<id>/llm`).
                guard Identifier.isValid(item.id, maxBytes: 128), !item.id.contains("/") else {
                    throw .invalidRequest(
                        field: "batch[\(i)].id", problem: "must be 1...128 bytes without control characters or /")
                }
                guard ids.insert(item.id).inserted else {
                    throw .invalidRequest(field: "batch[\(i)].id", problem: "duplicate item id")
                }
                let bytes = item.text?.utf8.count ?? 0
                let count = item.images?.count ?? 0
                let hasText = item.text?.utf8.contains(where: { $0 > 32 }) ?? false
                guard hasText || count > 0 else { throw .emptyPrompt("batch[\(i)] has neither text nor images") }
                guard bytes <= limits.maxPromptBytes else {
                    throw .promptTooLarge("batch[\(i)].text is \(bytes) bytes; the limit is \(limits.maxPromptBytes)")
                }
                guard count <= limits.maxImages else {
                    throw .promptTooLarge("batch[\(i)] has \(count) images; the limit is \(limits.maxImages)")
                }
                for (j, image) in (item.images ?? []).enumerated() {
                    try Self.checkImage(image, at: "batch[\(i)].images[\(j)]", limits: limits)
                }
                anyText = anyText || hasText
                largest = max(largest, bytes)
                itemImages = max(itemImages, count)
                if i < 3, let text = item.text { texts.sample(text) }
            }
            batchCount = batch.count
            batchItems = batch
            modality = .batch
            usageModality = itemImages == 0 ? .text : (anyText ? .multimodal : .image)
            images = max(images, itemImages)
            // One item's call: the request's own messages plus the largest item.
            texts.totalBytes += largest
            texts.count += 1
            texts.hasContent = texts.hasContent || anyText
        } else {
            guard texts.hasContent || images > 0 else {
                throw .emptyPrompt(
                    request.messages.isEmpty && request.images == nil
                        ? "send messages, images or batch" : "the prompt is blank and there are no images")
            }
            modality = images == 0 ? .text : (texts.hasContent ? .imageText : .image)
            usageModality = images == 0 ? .text : (texts.hasContent ? .multimodal : .image)
        }
        guard images <= limits.maxImages else {
            throw .promptTooLarge("\(images) images; the limit is \(limits.maxImages)")
        }
        guard texts.totalBytes <= limits.maxPromptBytes else {
            throw .promptTooLarge("the prompt is \(texts.totalBytes) bytes; the limit is \(limits.maxPromptBytes)")
        }
        if hints.category == .embedding, images > 0 {
            throw .unsupportedContent("embedding requests take text only; remove the images or hints.category")
        }
        if hints.category == .detection || hints.category == .visionQA, images == 0 {
            throw .contradictoryHints(
                "hints.category \"\(hints.category!.rawValue)\" needs an image and the request has none")
        }

        self.init(
            requestID: request.requestID, tenantID: request.tenantID, user: request.user, modality: modality,
            usageModality: usageModality, classifierText: texts.classifierText, promptBytes: texts.totalBytes,
            inputTokens: TokenEstimate.tokens(utf8Bytes: texts.totalBytes, messages: texts.count)
                + images * RequestProfile.tokensPerImage,
            imageCount: images, batchCount: batchCount, batchItems: batchItems, requestedOutputTokens: maxTokens,
            hints: hints, rawHints: request.hints.flatMap { $0.isEmpty ? nil : $0 })
    }

    /// - Returns: `maxTokens`, within `1...limits.maxOutputTokens`.
    static func checkParameters(_ parameters: GenerationParameters?, limits: PolicyLimits) throws(RouterError) -> Int? {
        guard let parameters else { return nil }
        if let maxTokens = parameters.maxTokens, !(1...limits.maxOutputTokens).contains(maxTokens) {
            throw .invalidRequest(
                field: "parameters.maxTokens", problem: "\(maxTokens) is outside 1...\(limits.maxOutputTokens)")
        }
        if let t = parameters.temperature, !(0...2).contains(t) {
            throw .invalidRequest(field: "parameters.temperature", problem: "\(t) is outside 0...2")
        }
        // (0, 1], as the llm-caller checks it: a topP of 0 must not pass routing to fail later.
        if let p = parameters.topP, !(p > 0 && p <= 1) {
            throw .invalidRequest(field: "parameters.topP", problem: "\(p) is outside (0, 1]")
        }
        return parameters.maxTokens
    }

    /// Measures an image reference without reading it: inline size, and the media type it
    /// declares (inline) or implies (its file extension). Whether it may be read at all is the
    /// reading function's `ImageAccessPolicy` check.
    static func checkImage(_ image: ImageReference, at path: String, limits: PolicyLimits) throws(RouterError) {
        let mediaType: String?
        switch image {
        case .inline(let format, _):
            mediaType = format?.mediaType
            let size = image.inlineByteEstimate
            if size > limits.maxImageBytes {
                throw .promptTooLarge(
                    "\(path) is \(size) bytes; the limit is \(limits.maxImageBytes) "
                        + "(send large images by s3:// reference)"
                )
            }
        case .url(let url): mediaType = Self.mediaType(forPath: url.text)
        case .s3(_, let key): mediaType = Self.mediaType(forPath: key)
        }
        if let mediaType, !limits.imageMediaTypes.contains(mediaType) {
            throw .unsupportedContent(
                "\(path): media type \"\(mediaType)\" is not accepted; use "
                    + limits.imageMediaTypes.joinedText(separator: ", ")
            )
        }
    }

    /// The media type a URL's extension implies; nil when it has none the router knows.
    static func mediaType(forPath url: String) -> String? {
        let path = url.prefix { $0 != "?" && $0 != "#" }
        guard let dot = path.lastIndex(of: "."), !path[dot...].contains("/") else { return nil }
        switch path[path.index(after: dot)...].lowercased() {
        case "jpg", "jpeg": return "image/jpeg"
        case "png": return "image/png"
        case "webp": return "image/webp"
        case "gif": return "image/gif"
        case "bmp": return "image/bmp"
        case "tif", "tiff": return "image/tiff"
        case "heic": return "image/heic"
        case "pdf": return "application/pdf"
        default: return nil
        }
    }
}

extension ParsedHints {
    /// - Throws: `Router.InvalidHint` for a value out of range, `Router.ContradictoryHints` for
    ///   values that cannot hold together.
    init(_ hints: RoutingHints?) throws(RouterError) {
        self.init()
        guard let hints else { return }
        if let route = hints.route {
            guard route != .explicit else {
                throw .invalidHint(
                    field: "route", problem: "explicit is set by hints.model; use cheapest, fastest or best")
            }
            self.route = route
        }
        if let cost = hints.maxCostPicoUSD {
            guard cost > .zero else { throw .invalidHint(field: "maxCostPicoUSD", problem: "must be positive") }
            maxCost = cost
        }
        if let ms = hints.maxLatencyMs {
            guard (1...3_600_000).contains(ms) else {
                throw .invalidHint(field: "maxLatencyMs", problem: "\(ms) is outside 1...3600000")
            }
            maxLatencyMs = ms
        }
        category = hints.category
        if let model = hints.model {
            guard model.isWellFormed else {
                throw .invalidHint(field: "model", problem: "must be 1...128 of letters, digits, . _ - : /")
            }
            if let route {
                throw .contradictoryHints(
                    "hints.model \"\(model)\" names the model, "
                        + "so hints.route \"\(route.rawValue)\" cannot also choose one"
                )
            }
            self.model = model
        }
        if let tags = hints.tags {
            guard tags.count <= 32, tags.allSatisfy({ Identifier.isValid($0, maxBytes: 64) }) else {
                throw .invalidHint(field: "tags", problem: "at most 32 tags of 1...64 bytes each")
            }
            self.tags = tags
        }
        if let value = hints.confidenceThreshold {
            guard value > 0, value <= 1 else {
                throw .invalidHint(field: "confidenceThreshold", problem: "\(value) is outside (0, 1]")
            }
            confidenceThreshold = value
        }
        if let value = hints.iouThreshold {
            guard value > 0, value <= 1 else {
                throw .invalidHint(field: "iouThreshold", problem: "\(value) is outside (0, 1]")
            }
            iouThreshold = value
        }
        if let value = hints.maxDetections {
            guard (1...10_000).contains(value) else {
                throw .invalidHint(field: "maxDetections", problem: "\(value) is outside 1...10000")
            }
            maxDetections = value
        }
    }
}

/// Accumulates prompt text: all of it is measured; the system prompt and the user turns are
/// kept for the classifier (assistant turns are answers, not the task).
struct TextGatherer {
    var totalBytes = 0
    var count = 0
    var hasContent = false
    var system = ""
    var user: [String] = []

    mutating func add(_ text: String, role: Message.Role) {
        totalBytes += text.utf8.count
        count += 1
        if !hasContent, text.utf8.contains(where: { $0 > 32 }) { hasContent = true }
        switch role {
        case .system: system = text
        case .user: user.append(text)
        case .assistant, .tool: break
        }
    }

    /// Prompt bytes that are not text the classifier should read (tool calls and definitions).
    mutating func measure(_ bytes: Int) { totalBytes += bytes }

    /// Text the classifier reads that is measured elsewhere (a batch's first items).
    mutating func sample(_ text: String) { user.append(text) }

    var classifierText: String {
        let joined = user.count == 1 ? user[0] : user.joinedText(separator: "\n")
        return system.isEmpty ? joined : system + "\n" + joined
    }
}

/// Token counts without a tokenizer: about 4 bytes of English per token, plus framing per message.
public enum TokenEstimate {
    public static func tokens(utf8Bytes: Int, messages: Int) -> Int {
        (utf8Bytes + 3) / 4 + 4 * max(messages, 1)
    }
}
