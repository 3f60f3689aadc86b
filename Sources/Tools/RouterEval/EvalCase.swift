import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// One labelled request: a router event plus a person's labels.
///
/// Two file shapes are read: `events/routing/eval.jsonl` (router events with `expected_category`,
/// `tier` and `acceptable_models`) and the corpus splits `events/routing/corpus/*.jsonl` (`id`,
/// `source`, `text`, `images`, `category`, `difficulty`, `language`), whose tier rotates with the
/// row number and whose acceptable models come from `events/routing/acceptable.json`.
struct EvalCase {
    var id: String
    var input: RouterInput
    var expectedCategory: TaskCategory
    var expectedDifficulty: Difficulty?
    var tier: String
    var acceptableModels: [String]
    var text: String

    struct Labels: Decodable {
        var id: String
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
                let input = try JSON.decode(RouterInput.self, from: line)
                let labels = try JSON.decode(Labels.self, from: line)
                guard let category = TaskCategory(rawValue: labels.expected_category) else {
                    throw ConfigurationError.invalidDocument(
                        source: "\(path):\(n + 1)", detail: "unknown category \(labels.expected_category)")
                }
                cases.append(
                    EvalCase(
                        id: labels.id, input: input, expectedCategory: category, expectedDifficulty: nil,
                        tier: labels.tier, acceptableModels: labels.acceptable_models,
                        text: input.prompt ?? ""))
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
            let refs = (0..<images).map {
                ImageRef(
                    url: "s3://switchyard-eval/corpus/\(id)-\($0).jpg", mediaType: "image/jpeg", sizeBytes: 200_000)
            }
            let input = RouterInput(
                requestID: id, tenantID: tenant, prompt: text.isEmpty ? nil : text, images: refs.isEmpty ? nil : refs)
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
