import SwitchyardJSON

/// What creating the Atlas Vector Search index has to do, decided from what `$listSearchIndexes`
/// reports: create it, update its definition, or nothing. Pure, so the command documents are
/// tested without Atlas; `switchyard-retrieval atlas-index` sends `command` exactly as planned.
public struct AtlasIndexPlan: Sendable, Equatable {
    public enum Action: String, Sendable { case create, update, unchanged }

    public var action: Action
    /// `createSearchIndexes` or `updateSearchIndex` for the chunk collection; nil when unchanged.
    public var command: JSONObject?
}

extension AtlasQuery {
    /// Vector lengths of the catalog's embedding models (the index declares one length; a chunk
    /// of another length is not indexed). A model not listed needs `--dimensions`.
    public static let knownDimensions: [String: Int] = [
        "e5-small-query": 384, "e5-small-passage": 384,
        "text-embedding-3-small": 1536, "text-embedding-3-large": 3072,
    ]

    /// The aggregation that lists the search indexes of the chunk collection named `name`.
    public static func listSearchIndexes(name: String) -> [JSON] {
        [.object(["$listSearchIndexes": .object(["name": .string(name)])])]
    }

    /// Plans the index `name` for `dimensions`-long vectors against the `existing` search indexes
    /// (documents as `$listSearchIndexes` returns them: `name`, `type`, `latestDefinition`).
    /// - Throws: `Retrieval.InvalidInput` for dimensions outside 1...8192 (Atlas's limit for
    ///   `numDimensions`), or when an index of that name exists with another type (Atlas cannot
    ///   change an index's type; it has to be dropped first).
    public static func indexPlan(existing: [JSON], collection: String, dimensions: Int, name: String = "chunks_vector")
        throws(RetrievalError) -> AtlasIndexPlan
    {
        guard (1...8192).contains(dimensions) else { throw .invalidInput("dimensions: 1...8192") }
        let wanted = indexDefinition(dimensions: dimensions, name: name)
        guard let definition = wanted["definition"] else { throw .invalidInput("no index definition") }
        guard let current = existing.first(where: { $0["name"]?.stringValue == name }) else {
            return AtlasIndexPlan(
                action: .create,
                command: ["createSearchIndexes": .string(collection), "indexes": .array([wanted])])
        }
        let type = current["type"]?.stringValue ?? "search"
        guard type == "vectorSearch" else {
            throw .invalidInput(
                "an Atlas Search index named \(name) of type \(type.prefix(40)) exists: drop it or choose another name")
        }
        if let latest = current["latestDefinition"], sameFields(latest, definition) {
            return AtlasIndexPlan(action: .unchanged, command: nil)
        }
        return AtlasIndexPlan(
            action: .update,
            command: [
                "updateSearchIndex": .string(collection), "name": .string(name), "definition": definition,
            ])
    }

    /// The same fields in any order: each wanted field has a current one of the same type and path
    /// whose values for the wanted keys are equal (numbers by value), and there are no others.
    /// Keys Atlas adds to what it reports are ignored.
    static func sameFields(_ current: JSON, _ wanted: JSON) -> Bool {
        guard let have = current["fields"]?.arrayValue, let want = wanted["fields"]?.arrayValue,
            have.count == want.count
        else { return false }
        func equal(_ a: JSON?, _ b: JSON) -> Bool {
            if let x = a?.doubleValue, let y = b.doubleValue { return x == y }
            return a == b
        }
        return want.allSatisfy { field in
            guard case .object(let keys) = field else { return false }
            return have.contains { candidate in keys.members.allSatisfy { equal(candidate[$0.key], $0.value) } }
        }
    }
}
