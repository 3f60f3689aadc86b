import SwitchyardCore
import SwitchyardJSON

/// The retrieval section's embedding models, read from the policy the router uses, so ingest and
/// the Atlas index default to the model the query side searches with (the store filters by it).
enum PolicyModels {
    struct Section: Decodable {
        var embeddingModel: String
        var passageModel: String?
    }

    struct Policy: Decodable { var retrieval: Section? }

    /// The model the collections' chunks are embedded with: `passageModel`, else `embeddingModel`,
    /// of `--policy FILE`, else `$SWITCHYARD_BUNDLE_DIR/policy.json`; nil when there is no section.
    static func passageModel(_ options: Options, environment: Environment) -> String? {
        let path =
            options.values["policy"]
            ?? environment["SWITCHYARD_BUNDLE_DIR"].map {
                $0 + "/" + environment.string("SWITCHYARD_POLICY", default: "policy.json")
            }
        guard let path else { return nil }
        do {
            let section = try JSON.decode(Policy.self, from: FileReader.read(path)).retrieval
            return section.map { $0.passageModel ?? $0.embeddingModel }
        } catch { Tool.fail("policy \(path): \(error)") }
    }
}
