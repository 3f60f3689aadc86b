import SwitchyardJSON
import SwitchyardRetrieval
import SwitchyardRouting
import Testing

/// The Atlas Vector Search index plan: the command documents written out by hand from Atlas's
/// documented forms (`createSearchIndexes`, `updateSearchIndex`, `$listSearchIndexes` output).
@Suite struct AtlasIndexTests {
    static let fields1536: JSON = try! JSON.decode(
        JSON.self,
        from: Array(
            """
            {"fields": [
              {"type": "vector", "path": "embedding", "numDimensions": 1536, "similarity": "cosine"},
              {"type": "filter", "path": "tenantId"},
              {"type": "filter", "path": "collection"},
              {"type": "filter", "path": "embeddingModel"}]}
            """.utf8))

    static func listed(_ definition: JSON, name: String = "chunks_vector", type: String = "vectorSearch") -> JSON {
        .object([
            "id": "6524096020da840844a4c4a7", "name": .string(name), "type": .string(type), "status": "READY",
            "queryable": true, "latestDefinitionVersion": .object(["version": 0]), "latestDefinition": definition,
        ])
    }

    @Test func noIndexYetIsCreatedWithTheDocumentedDefinition() throws {
        let plan = try AtlasQuery.indexPlan(
            existing: [Self.listed(Self.fields1536, name: "other")], collection: "retrieval_chunks",
            dimensions: 1536)
        #expect(plan.action == .create)
        let expected: JSONObject = [
            "createSearchIndexes": "retrieval_chunks",
            "indexes": .array([
                .object(["name": "chunks_vector", "type": "vectorSearch", "definition": Self.fields1536])
            ]),
        ]
        #expect(plan.command == expected)
        // The command name leads the document, as MongoDB requires.
        #expect(plan.command?.keys.first == "createSearchIndexes")
    }

    @Test func theSameDefinitionInAnotherOrderIsLeftAlone() throws {
        // Atlas reports fields in its own order, numbers as doubles, with keys of its own.
        let reported = try JSON.decode(
            JSON.self,
            from: Array(
                """
                {"fields": [
                  {"type": "filter", "path": "embeddingModel"},
                  {"path": "collection", "type": "filter"},
                  {"type": "vector", "path": "embedding", "numDimensions": 1536.0, "similarity": "cosine",
                   "quantization": "none"},
                  {"type": "filter", "path": "tenantId"}]}
                """.utf8))
        let plan = try AtlasQuery.indexPlan(
            existing: [Self.listed(reported)], collection: "retrieval_chunks", dimensions: 1536)
        #expect(plan.action == .unchanged)
        #expect(plan.command == nil)
    }

    @Test func anotherDefinitionIsUpdatedInPlace() throws {
        let e5 = try AtlasQuery.indexPlan(existing: [], collection: "retrieval_chunks", dimensions: 384)
        let e5Definition = e5.command?["indexes"]?[0]?["definition"]
        let plan = try AtlasQuery.indexPlan(
            existing: [Self.listed(e5Definition!)], collection: "retrieval_chunks", dimensions: 1536)
        #expect(plan.action == .update)
        let expected: JSONObject = [
            "updateSearchIndex": "retrieval_chunks", "name": "chunks_vector", "definition": Self.fields1536,
        ]
        #expect(plan.command == expected)
        #expect(plan.command?.keys.first == "updateSearchIndex")
        // A missing filter field is a difference too.
        var fields = Self.fields1536["fields"]!.arrayValue!
        fields.removeLast()
        let partial = try AtlasQuery.indexPlan(
            existing: [Self.listed(.object(["fields": .array(fields)]))], collection: "retrieval_chunks",
            dimensions: 1536)
        #expect(partial.action == .update)
    }

    @Test func aSearchIndexOfTheSameNameOrBadDimensionsIsATypedError() {
        #expect(throws: RetrievalError.self) {
            try AtlasQuery.indexPlan(
                existing: [Self.listed(.object([:]), type: "search")], collection: "retrieval_chunks", dimensions: 384)
        }
        for bad in [0, 8193, -1] {
            do {
                _ = try AtlasQuery.indexPlan(existing: [], collection: "retrieval_chunks", dimensions: bad)
                Issue.record("\(bad) dimensions accepted")
            } catch { #expect(error.errorType == "Retrieval.InvalidInput") }
        }
    }

    @Test func theRouterCountsAtLeastTheInstructionsTokens() {
        let bytes = RetrievalPrompt.instruction.utf8.count
        // (bytes + 3) / 4 + 4, the router's estimate for one more message of that length.
        #expect(RetrievalPolicy.instructionTokens >= (bytes + 3) / 4 + 4)
    }
}
