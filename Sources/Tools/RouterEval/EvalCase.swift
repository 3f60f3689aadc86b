import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// One labelled line of `events/routing/eval.jsonl`: a router event plus a person's labels.
struct EvalCase {
    var id: String
    var input: RouterInput
    var expectedCategory: TaskCategory
    var tier: String
    var acceptableModels: [String]

    struct Labels: Decodable {
        var id: String
        var expected_category: String
        var tier: String
        var acceptable_models: [String]
    }

    static func load(_ path: String) throws -> [EvalCase] {
        let bytes = try FileReader.read(path)
        var cases: [EvalCase] = []
        for (n, line) in bytes.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            let input = try JSON.decode(RouterInput.self, from: line)
            let labels = try JSON.decode(Labels.self, from: line)
            guard let category = TaskCategory(rawValue: labels.expected_category) else {
                throw ConfigurationError.invalidDocument(
                    source: "\(path):\(n + 1)", detail: "unknown category \(labels.expected_category)")
            }
            cases.append(
                EvalCase(
                    id: labels.id, input: input, expectedCategory: category, tier: labels.tier,
                    acceptableModels: labels.acceptable_models))
        }
        return cases
    }
}
