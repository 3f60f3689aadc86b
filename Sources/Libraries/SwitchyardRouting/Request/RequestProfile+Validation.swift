import SwitchyardContract

/// Turning a `RouterInput` into a `RequestProfile`, refusing what the router cannot route.
extension RequestProfile {
    /// - Throws: `Router.EmptyPrompt`, `Router.PromptTooLarge`, `Router.UnsupportedContent`,
    ///   `Router.ContradictoryHints`, `Router.InvalidHint`, `Router.UnknownTenant` (empty id).
    public init(_ input: RouterInput, limits: PolicyLimits) throws(RouterError) {
        guard !input.tenantID.isEmpty else { throw .unknownTenant("") }
        let hints = try ParsedHints(input.hints)

        var texts = TextGatherer()
        var images = 0
        if let prompt = input.prompt { texts.add(prompt, role: "user") }
        for (i, message) in (input.messages ?? []).enumerated() {
            switch message.content {
            case .text(let text): texts.add(text, role: message.role)
            case .parts(let parts):
                for (j, part) in parts.enumerated() {
                    let at = "messages[\(i)].content[\(j)]"
                    switch part.type {
                    case "text", "input_text": texts.add(part.text ?? "", role: message.role)
                    case "image_url":
                        guard let url = part.imageURL?.url else {
                            throw .unsupportedContent("\(at) has no image_url.url")
                        }
                        try Self.checkImage(ImageRef(url: url), at: at, limits: limits)
                        images += 1
                    case "image":
                        guard let source = part.source else { throw .unsupportedContent("\(at) has no source") }
                        try Self.checkImage(
                            ImageRef(url: source.url, dataBase64: source.data, mediaType: source.mediaType), at: at,
                            limits: limits)
                        images += 1
                    default:
                        throw .unsupportedContent(
                            "\(at) has type \"\(part.type.prefix(40))\"; the router accepts text, image_url and image parts"
                        )
                    }
                }
            }
        }
        for (i, image) in (input.images ?? []).enumerated() {
            try Self.checkImage(image, at: "images[\(i)]", limits: limits)
            images += 1
        }

        var batchCount = 1
        var modality: Modality
        if let batch = input.batch, !batch.isEmpty {
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
            for (i, item) in batch.enumerated() {
                let bytes = item.prompt?.utf8.count ?? 0
                let count = item.images?.count ?? 0
                guard bytes > 0 || count > 0 else { throw .emptyPrompt("batch[\(i)] has neither prompt nor images") }
                guard bytes <= limits.maxPromptBytes else {
                    throw .promptTooLarge("batch[\(i)].prompt is \(bytes) bytes; the limit is \(limits.maxPromptBytes)")
                }
                for (j, image) in (item.images ?? []).enumerated() {
                    try Self.checkImage(image, at: "batch[\(i)].images[\(j)]", limits: limits)
                }
                largest = max(largest, bytes)
                itemImages = max(itemImages, count)
                if i < 3, let prompt = item.prompt { texts.add(prompt, role: "user") }
            }
            batchCount = batch.count
            modality = .batch
            images = max(images, itemImages)
            texts.totalBytes += largest
        } else {
            guard texts.hasContent || images > 0 else {
                throw .emptyPrompt(
                    input.messages == nil && input.prompt == nil && input.images == nil
                        ? "send messages, prompt, images or batch" : "the prompt is blank and there are no images")
            }
            modality = images == 0 ? .text : (texts.hasContent ? .imageText : .image)
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
            requestID: input.requestID ?? "",
            tenantID: input.tenantID,
            modality: modality,
            classifierText: texts.classifierText,
            promptBytes: texts.totalBytes,
            inputTokens: TokenEstimate.tokens(utf8Bytes: texts.totalBytes, messages: texts.count)
                + images * RequestProfile.tokensPerImage,
            imageCount: images,
            batchCount: batchCount,
            hints: hints)
    }

    static func checkImage(_ image: ImageRef, at path: String, limits: PolicyLimits) throws(RouterError) {
        var mediaType = image.mediaType
        var size = image.sizeBytes
        if let data = image.dataBase64 {
            // Base64 carries 3 bytes per 4 characters; the router measures, never decodes.
            size = size ?? data.utf8.count / 4 * 3
        } else if let url = image.url {
            guard let colon = url.firstIndex(of: ":") else {
                throw .unsupportedContent("\(path): \"\(url.prefix(60))\" is not a URL")
            }
            let scheme = url[..<colon].lowercased()
            if scheme == "data" {
                // data:image/png;base64,....
                let header = url[url.index(after: colon)...].prefix { $0 != "," }
                mediaType = mediaType ?? String(header.prefix { $0 != ";" })
                size = size ?? max(0, url.utf8.count - header.utf8.count - 6) / 4 * 3
            } else {
                guard limits.imageURLSchemes.contains(scheme) else {
                    throw .unsupportedContent(
                        "\(path): scheme \"\(scheme.prefix(20))\" is not accepted; use \(limits.imageURLSchemes.joined(separator: " or ")) URLs"
                    )
                }
                mediaType = mediaType ?? Self.mediaType(forPath: url)
            }
        } else {
            throw .unsupportedContent("\(path) has neither url nor data_base64")
        }
        if let mediaType {
            guard limits.imageMediaTypes.contains(mediaType.lowercased()) else {
                throw .unsupportedContent(
                    "\(path): media type \"\(mediaType.prefix(40))\" is not accepted; use \(limits.imageMediaTypes.joined(separator: ", "))"
                )
            }
        }
        if let size, size > limits.maxImageBytes {
            throw .promptTooLarge(
                "\(path) is \(size) bytes; the limit is \(limits.maxImageBytes) (send large images by s3:// reference)")
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
    /// - Throws: `Router.InvalidHint` for a malformed value, `Router.ContradictoryHints` for
    ///   values that cannot hold together.
    init(_ hints: RoutingHints?) throws(RouterError) {
        self.init()
        guard let hints else { return }
        if let route = hints.route {
            guard let strategy = RoutingStrategy(rawValue: route), strategy != .explicit else {
                throw .invalidHint(field: "route", problem: "\"\(route.prefix(40))\" is not cheapest, fastest or best")
            }
            self.route = strategy
        }
        if let usd = hints.maxCostUSD {
            guard usd.isFinite, usd > 0 else {
                throw .invalidHint(field: "max_cost_usd", problem: "must be a positive amount of USD")
            }
            maxCostMicroUSD = usd >= 9e12 ? Int64.max : Int64((usd * 1_000_000).rounded(.down))
            guard maxCostMicroUSD! > 0 else {
                throw .invalidHint(field: "max_cost_usd", problem: "is below one micro-USD")
            }
        }
        if let ms = hints.maxLatencyMs {
            guard ms > 0 else { throw .invalidHint(field: "max_latency_ms", problem: "must be positive") }
            maxLatencyMs = ms
        }
        if let tokens = hints.maxOutputTokens {
            guard tokens > 0 else { throw .invalidHint(field: "max_output_tokens", problem: "must be positive") }
            outputTokens = tokens
        }
        if let name = hints.category {
            guard let parsed = TaskCategory(rawValue: name) else {
                throw .invalidHint(
                    field: "category",
                    problem:
                        "\"\(name.prefix(40))\" is not one of \(TaskCategory.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            category = parsed
        }
        if let model = hints.model {
            guard !model.isEmpty else { throw .invalidHint(field: "model", problem: "must not be empty") }
            if let route {
                throw .contradictoryHints(
                    "hints.model \"\(model.prefix(60))\" names the model, so hints.route \"\(route.rawValue)\" cannot also choose one"
                )
            }
            self.model = model
        }
        tags = hints.tags ?? []
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

    mutating func add(_ text: String, role: String) {
        totalBytes += text.utf8.count
        count += 1
        if !hasContent, text.utf8.contains(where: { $0 > 32 }) { hasContent = true }
        switch role {
        case "system", "developer": system = text
        case "user": user.append(text)
        default: break
        }
    }

    var classifierText: String {
        let joined = user.count == 1 ? user[0] : user.joined(separator: "\n")
        return system.isEmpty ? joined : system + "\n" + joined
    }
}

/// Token counts without a tokenizer: about 4 bytes of English per token, plus framing per message.
public enum TokenEstimate {
    public static func tokens(utf8Bytes: Int, messages: Int) -> Int {
        (utf8Bytes + 3) / 4 + 4 * max(messages, 1)
    }
}
