import Foundation
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRetrieval
import SwitchyardRetrievalStore

/// `atlas-index`: creates the Atlas Vector Search index of the chunk collection, or updates it when
/// its definition differs, or leaves it (idempotent). Prints `{action, index, model, dimensions,
/// command}`; a server without Atlas Search gets `Retrieval.SearchUnsupported` (exit 2).
enum AtlasIndexCommand {
    static func run(_ options: Options) async -> Never {
        let environment = Environment.process
        let name = options.string(
            "index-name", default: environment.string("RETRIEVAL_ATLAS_INDEX", default: "chunks_vector"))
        guard (1...64).contains(name.utf8.count), name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            Tool.fail("--index-name: 1...64 printable ASCII characters")
        }
        let model = options.values["model"] ?? PolicyModels.passageModel(options, environment: environment)
        let dimensions: Int
        if options.values["dimensions"] != nil {
            dimensions = options.int("dimensions", default: 0, range: 1...8192)
        } else if let model, let known = AtlasQuery.knownDimensions[model] {
            dimensions = known
        } else {
            Tool.fail("--dimensions: the vector length of \(model ?? "the embedding model") is not known")
        }
        var summary: JSONObject = [
            "index": .string(name), "model": model.map { .string($0) } ?? .null,
            "dimensions": .integer(Int64(dimensions)),
        ]
        do throws(RetrievalError) {
            let plan: AtlasIndexPlan
            if options.flags.contains("dry-run") {
                // What would be sent to a cluster that has no index yet; nothing is contacted.
                plan = try AtlasQuery.indexPlan(
                    existing: [], collection: MongoChunkStore.collectionName, dimensions: dimensions, name: name)
            } else {
                guard let uri = MongoChunkStore.uri(in: environment) else {
                    Tool.fail("RETRIEVAL_MONGODB_URI (or MONGODB_URI) is not set")
                }
                let store = try MongoChunkStore(
                    uri: uri, database: environment.string("RETRIEVAL_DATABASE", default: "switchyard"))
                plan = try store.ensureVectorIndex(name: name, dimensions: dimensions, deadline: .now + .seconds(30))
            }
            summary["action"] = .string(plan.action.rawValue)
            summary["command"] = plan.command.map { .object($0) } ?? .null
            print(JSON.object(summary).serializedString)
            exit(0)
        } catch {
            summary["errorType"] = .string(error.errorType)
            summary["errorMessage"] = .string(error.errorMessage)
            print(JSON.object(summary).serializedString)
            exit(2)
        }
    }
}
