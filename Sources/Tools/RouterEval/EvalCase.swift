import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// One labelled request: the router's event (the contract's `InferenceRequest`) plus a person's labels.
///
/// Two file shapes are read: `events/routing/eval.jsonl` (requests in the file's older shape,
/// `tenant_id`, `prompt` and `images[].url`, with `expected_category`,
/// `tier` and `acceptable_models`) and the corpus splits `events/routing/corpus/*.jsonl` (`id`,
/// `source`, `text`, `images`, `category`, `difficulty`, `language`), whose tier rotates with the
/// row number and whose acceptable models come from `events/routing/acceptable.json`.
struct EvalCase {
    var id: String
    var input: InferenceRequest
    var expectedCategory: TaskCategory
    var expectedDifficulty: Difficulty?
    var tier: String
    var acceptableModels: [String]
    var text: String

    struct Labels: Decodable {
        struct Image: Decodable { var url: String }
        var id: String
        var request_id: String?
        var tenant_id: String
        var prompt: String?
        var images: [Image]?
        var expected_category: String
        var tier: String
        var acceptable_models: [String]
    }

    static func load(_ path: String, acceptable: AcceptableTable) throws -> [EvalCase] {
        let bytes = try FileReader.read(path)
        var cases: [EvalCase] = []
        for (n, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            let json = try JSON.parse(line)
            if json["expected_category"] != nil {
                let labels = try JSON.decode(Labels.self, from: line)
                let input = InferenceRequest(
                    requestID: labels.request_id ?? labels.id, tenantID: labels.tenant_id,
                    messages: labels.prompt.map { [Message(role: .user, text: $0)] } ?? [],
                    images: try labels.images?.map { try ImageReference(parsing: $0.url) })
                guard let category = TaskCategory(rawValue: labels.expected_category) else {
                    throw ConfigurationError.invalidDocument(
                        source: "\(path):\(n + 1)", detail: "unknown category \(labels.expected_category)")
                }
                cases.append(
                    EvalCase(
                        id: labels.id, input: input, expectedCategory: category, expectedDifficulty: nil,
                        tier: labels.tier, acceptableModels: labels.acceptable_models,
                        text: labels.prompt ?? ""))
                continue
            }
            guard let id = json["id"]?.stringValue, let text = json["text"]?.stringValue,
                let category = json["category"]?.stringValue.flatMap(TaskCategory.init(rawValue:)),
                let difficulty = json["difficulty"]?.stringValue.flatMap(Difficulty.init(rawValue:))
            else {
                throw ConfigurationError.invalidDocument(
                    source: "\(path):\(n + 1)", detail: "needs id, text, a known category and difficulty")
            }
            let images = Int(json["images"]?.int64Value ?? 0)
            let tier = acceptable.tiers[cases.count % acceptable.tiers.count]
            let tenants = acceptable.tenants[tier] ?? []
            let tenant = tenants[(cases.count / acceptable.tiers.count) % max(tenants.count, 1)]
            let refs = try (0..<images).map {
                try ImageReference(parsing: "s3://switchyard-eval/corpus/\(id)-\($0).jpg")
            }
            let input = InferenceRequest(
                requestID: id, tenantID: tenant, messages: text.isEmpty ? [] : [Message(role: .user, text: text)],
                images: refs.isEmpty ? nil : refs)
            cases.append(
                EvalCase(
                    id: id, input: input, expectedCategory: category, expectedDifficulty: difficulty, tier: tier,
                    acceptableModels: acceptable.models(tier: tier, category: category), text: text))
        }
        return cases
    }
}

/// `events/routing/acceptable.json`: models a person accepts per tier and category.
struct AcceptableTable {
    var tiers: [String]
    var tenants: [String: [String]]
    var acceptable: [String: [String: [String]]]

    static func load(_ path: String) throws -> AcceptableTable {
        struct File: Decodable {
            var tiers: [String]
            var tenants: [String: [String]]
            var acceptable: [String: [String: [String]]]
        }
        let file = try JSON.decode(File.self, from: try FileReader.read(path))
        return AcceptableTable(tiers: file.tiers, tenants: file.tenants, acceptable: file.acceptable)
    }

    func models(tier: String, category: TaskCategory) -> [String] {
        acceptable[tier]?[category.rawValue] ?? []
    }
}
