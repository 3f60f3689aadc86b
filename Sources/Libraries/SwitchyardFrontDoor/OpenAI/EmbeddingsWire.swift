import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// An OpenAI `POST /v1/embeddings` body, validated.
public struct EmbeddingsRequest: Sendable, Equatable {
    /// nil for `auto` (the tier's first embedding model).
    public var model: ModelID?
    public var inputs: [String]
    /// `float` (JSON numbers) or `base64` (little-endian float32; the openai client asks for it).
    public var base64: Bool
    public var dimensions: Int?
    public var user: String?

    public static let maxInputs = 2048

    /// - Throws: `FrontDoor.InvalidRequest` naming the parameter, `FrontDoor.ModelNotFound`.
    public init(body: [UInt8]) throws(FrontDoorError) {
        let reader = try JSONReader(body: body)
        guard let modelText = try reader.string("model", maxBytes: 256) else {
            throw .invalidRequest(param: "model", message: "'model' is required")
        }
        if modelText == "auto" {
            model = nil
        } else {
            guard ModelID(modelText).isWellFormed else { throw .modelNotFound(modelText) }
            model = ModelID(modelText)
        }
        switch reader.value("input") {
        case .string(let text): inputs = [text]
        case .array(let items):
            guard (1...Self.maxInputs).contains(items.count) else {
                throw .invalidRequest(param: "input", message: "'input' takes 1...\(Self.maxInputs) strings")
            }
            var texts: [String] = []
            for item in items {
                guard case .string(let text) = item else {
                    throw .invalidRequest(
                        param: "input",
                        message: "'input' must be a string or an array of strings (token arrays are not accepted)")
                }
                texts.append(text)
            }
            inputs = texts
        default: throw reader.wrong("input", "a string or an array of strings")
        }
        guard inputs.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 1 << 20 }) else {
            throw .invalidRequest(param: "input", message: "each input must be 1 byte to 1 MiB")
        }
        switch try reader.string("encoding_format", maxBytes: 16) {
        case nil, "float": base64 = false
        case "base64": base64 = true
        default: throw .invalidRequest(param: "encoding_format", message: "'encoding_format' must be float or base64")
        }
        dimensions = try reader.int("dimensions", range: 1...16384).map { Int($0) }
        user = try reader.string("user", maxBytes: ChatCompletionRequest.Limits.userBytes)
    }

    /// The OpenAI list of embeddings.
    public static func response(
        vectors: [[Float]], base64: Bool, model: ModelID, tokens: UsageRecord.Tokens?, cost: PicoUSD?
    ) -> JSON {
        var data: [JSON] = []
        data.reserveCapacity(vectors.count)
        for (i, vector) in vectors.enumerated() {
            let embedding: JSON
            if base64 {
                var bytes: [UInt8] = []
                bytes.reserveCapacity(vector.count * 4)
                for value in vector {
                    let bits = value.bitPattern.littleEndian
                    bytes += [UInt8(bits & 0xFF), UInt8(bits >> 8 & 0xFF), UInt8(bits >> 16 & 0xFF), UInt8(bits >> 24)]
                }
                embedding = .string(Base64.encode(bytes))
            } else {
                // Float's shortest decimal form, not the binary value widened (0.869, not 0.8690000176…).
                embedding = .array(vector.map { .double(Double($0.description) ?? Double($0)) })
            }
            data.append(
                .object(JSONObject([("object", "embedding"), ("index", .integer(Int64(i))), ("embedding", embedding)])))
        }
        let t = tokens ?? UsageRecord.Tokens(input: 0, output: 0)
        var usage: [(String, JSON)] = [("prompt_tokens", .integer(t.input)), ("total_tokens", .integer(t.input))]
        if let cost {
            usage.append(("cost_usd", .string(cost.description)))
            usage.append(("cost_pico_usd", .integer(cost.rawValue)))
        }
        return .object(
            JSONObject([
                ("object", "list"), ("data", .array(data)), ("model", .string(model.rawValue)),
                ("usage", .object(JSONObject(usage))),
            ]))
    }
}

/// `GET /v1/models`: the catalog models a tier may use, with their list prices.
public enum ModelList {
    /// One price line per model (per 1M tokens, or per image), exact decimal dollars.
    public struct Price: Sendable, Equatable {
        public var inputPerMillion: PicoUSD
        public var cachedInputPerMillion: PicoUSD?
        public var outputPerMillion: PicoUSD
        public var perImage: PicoUSD

        public init(
            inputPerMillion: PicoUSD, cachedInputPerMillion: PicoUSD?, outputPerMillion: PicoUSD, perImage: PicoUSD
        ) {
            self.inputPerMillion = inputPerMillion
            self.cachedInputPerMillion = cachedInputPerMillion
            self.outputPerMillion = outputPerMillion
            self.perImage = perImage
        }
    }

    public static func response(
        _ models: [CatalogModel], tier: String, price: (ModelID) -> Price?, created: Int64
    ) -> JSON {
        var data: [JSON] = [
            .object(
                JSONObject([
                    ("id", "auto"), ("object", "model"), ("created", .integer(created)), ("owned_by", "switchyard"),
                ]))
        ]
        for model in models where model.tiers.contains(tier) {
            var info: [(String, JSON)] = [
                ("kind", .string(model.kind.rawValue)), ("context_window", .integer(Int64(model.contextWindow))),
                ("capabilities", .array(model.capabilities.map { .string($0.rawValue) })),
            ]
            if let max = model.maxOutputTokens { info.append(("max_output_tokens", .integer(Int64(max)))) }
            if let p = price(model.id) {
                var pricing: [(String, JSON)] = [
                    ("input_per_million_usd", .string(p.inputPerMillion.description)),
                    ("output_per_million_usd", .string(p.outputPerMillion.description)),
                ]
                if let cached = p.cachedInputPerMillion {
                    pricing.append(("cached_input_per_million_usd", .string(cached.description)))
                }
                if p.perImage.rawValue > 0 { pricing.append(("per_image_usd", .string(p.perImage.description))) }
                info.append(("pricing", .object(JSONObject(pricing))))
            }
            data.append(
                .object(
                    JSONObject([
                        ("id", .string(model.id.rawValue)), ("object", "model"), ("created", .integer(created)),
                        ("owned_by", .string(model.provider.rawValue)), ("switchyard", .object(JSONObject(info))),
                    ])))
        }
        return .object(JSONObject([("object", "list"), ("data", .array(data))]))
    }
}
