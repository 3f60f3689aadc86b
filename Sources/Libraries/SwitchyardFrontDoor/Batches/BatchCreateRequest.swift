import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// A `POST /v1/batches` body, validated: the items of a labelling job (prompts, images, or
/// both), what every item runs with, and routing hints as for chat.
///
/// ```json
/// {"items": [{"id": "a", "text": "Label this", "image": "https://…/1.jpg"}, {"text": "…"}],
///  "model": "auto", "max_tokens": 64, "switchyard": {"category": "classification"}}
/// ```
/// An item without `id` gets `item-<index>`; ids are unique, 1...128 bytes, without `/` or
/// control characters (they become part of usage keys).
public struct BatchCreateRequest: Sendable, Equatable {
    public var items: [BatchItem]
    public var model: ModelID?
    public var hints: RoutingHints
    public var parameters: GenerationParameters

    public enum Limits {
        public static let imagesPerItem = 16
        public static let textBytes = 256 << 10
    }

    /// - Throws: `FrontDoor.InvalidRequest` naming the parameter.
    public init(body: [UInt8], maxItems: Int) throws(FrontDoorError) {
        let body = try JSONReader(body: body)
        guard let raw = try body.array("items", maxCount: maxItems), !raw.isEmpty else {
            throw .invalidRequest(param: "items", message: "'items' is required: 1...\(maxItems) items")
        }
        var items: [BatchItem] = []
        items.reserveCapacity(raw.count)
        var ids = Set<String>()
        for (i, value) in raw.enumerated() {
            let item = try JSONReader(value, path: "items[\(i)]")
            let id = try item.string("id", maxBytes: 128) ?? "item-\(i)"
            guard Identifier.isValid(id, maxBytes: 128), !id.contains("/") else {
                throw .invalidRequest(
                    param: item.param("id"),
                    message: "'\(item.param("id"))' must be 1...128 bytes without / "
                        + "or control characters")
            }
            guard ids.insert(id).inserted else {
                throw .invalidRequest(param: item.param("id"), message: "item id \(id) appears twice")
            }
            let text = try item.string("text", maxBytes: Limits.textBytes)
            var texts: [String] = []
            if let one = try item.string("image", maxBytes: 64 << 20) { texts.append(one) }
            for (j, value) in (try item.array("images", maxCount: Limits.imagesPerItem) ?? []).enumerated() {
                guard case .string(let url) = value else { throw item.wrong("images[\(j)]", "a string") }
                texts.append(url)
            }
            guard texts.count <= Limits.imagesPerItem else {
                throw .invalidRequest(param: item.param("images"), message: "at most \(Limits.imagesPerItem) images")
            }
            var images: [ImageReference] = []
            for url in texts {
                do { images.append(try ImageReference(parsing: url)) } catch {
                    throw .invalidRequest(param: item.param("images"), message: error.errorMessage)
                }
            }
            guard (text?.utf8.contains { $0 > 32 } ?? false) || !images.isEmpty else {
                throw .invalidRequest(param: item.path, message: "'\(item.path)' needs text, an image, or both")
            }
            items.append(BatchItem(id: id, text: text, images: images.isEmpty ? nil : images))
        }
        self.items = items
        let options = try DetectorOptions(body)
        model = options.model
        hints = options.hints
        parameters = GenerationParameters()
        parameters.maxTokens = try body.int("max_tokens", range: 1...ChatCompletionRequest.Limits.maxTokens)
            .map { Int($0) }
        parameters.temperature = try body.double("temperature", range: 0...2)
    }
}

/// The job as the API shows it (`GET /v1/batches/{id}`), in the spirit of OpenAI's batch object.
public enum BatchJobResponse {
    public static func body(_ job: BatchJob) -> [UInt8] {
        var members: [(key: String, value: JSON)] = [
            ("id", .string(job.id)), ("object", .string("batch")), ("status", .string(job.status.rawValue)),
            ("created_at", .integer(job.createdAtMs / 1000)),
            ("completed_at", job.completedAtMs.map { .integer($0 / 1000) } ?? .null),
            ("model", .string(job.model?.rawValue ?? "auto")),
            (
                "request_counts",
                .object(
                    JSONObject([
                        ("total", .integer(Int64(job.total))), ("completed", .integer(Int64(job.succeeded))),
                        ("failed", .integer(Int64(job.failed))),
                    ]))
            ),
            (
                "chunks",
                .object(
                    JSONObject([
                        ("total", .integer(Int64(job.chunkCount))), ("done", .integer(Int64(job.chunksDone))),
                    ]))
            ),
            ("cost_usd", .string(job.costPicoUSD.description)), ("cost_pico_usd", .integer(job.costPicoUSD.rawValue)),
        ]
        if let error = job.error {
            members.append(
                (
                    "error",
                    .object(
                        JSONObject([
                            ("type", .string(error.errorType)), ("message", .string(error.errorMessage)),
                        ]))
                ))
        }
        return JSON.object(JSONObject(members)).serialized()
    }
}

/// One line of a job's results (JSONL): the item id, how it ended, and the answer or the error.
public enum BatchResultLine {
    public static func line(_ outcome: BatchItemOutcome, itemID: String) -> String {
        var members: [(key: String, value: JSON)] = [("id", .string(itemID))]
        members.append(("status", .string(outcome.status.rawValue)))
        switch outcome {
        case .llm(let o):
            if let answer = o.answer, o.status != .failed {
                members.append(
                    (
                        "response",
                        .object(
                            JSONObject([
                                ("text", .string(answer.text)), ("model", .string(answer.model.rawValue)),
                                ("finish_reason", .string(answer.finishReason)),
                                (
                                    "usage",
                                    .object(
                                        JSONObject([
                                            ("prompt_tokens", .integer(answer.tokens.input)),
                                            ("completion_tokens", .integer(answer.tokens.output)),
                                        ]))
                                ),
                            ]))
                    ))
            }
            if let error = o.error, o.status == .failed { members.append(("error", Self.error(error))) }
        case .vision(let o):
            if o.status != .failed {
                let images: [JSON] = o.results.map { image in
                    .object(
                        JSONObject([
                            ("width", .integer(Int64(image.width))), ("height", .integer(Int64(image.height))),
                            ("model", (image.model ?? o.model).map { .string($0.rawValue) } ?? .null),
                            (
                                "detections",
                                .array(
                                    image.detections.map { d in
                                        .object(
                                            JSONObject([
                                                (
                                                    "box",
                                                    .array([
                                                        .double(d.box.x1), .double(d.box.y1), .double(d.box.x2),
                                                        .double(d.box.y2),
                                                    ])
                                                ),
                                                ("class_id", .integer(Int64(d.classID))),
                                                ("class_name", d.className.map { .string($0) } ?? .null),
                                                ("score", .double(d.confidence)),
                                            ]))
                                    })
                            ),
                        ]))
                }
                members.append(("response", .object(JSONObject([("images", .array(images))]))))
            }
            if let error = o.error, o.status == .failed { members.append(("error", Self.error(error))) }
        }
        return String(decoding: JSON.object(JSONObject(members)).serialized(), as: UTF8.self)
    }

    /// A line for an item that did not run (its chunk was refused or failed as a whole).
    public static func failed(itemID: String, _ error: StepError) -> String {
        let members: [(key: String, value: JSON)] = [
            ("id", .string(itemID)), ("status", .string("failed")), ("error", Self.error(error)),
        ]
        return String(decoding: JSON.object(JSONObject(members)).serialized(), as: UTF8.self)
    }

    static func error(_ error: StepError) -> JSON {
        .object(JSONObject([("type", .string(error.errorType)), ("message", .string(error.errorMessage))]))
    }
}
