import SwitchyardJSON

/// The Atlas Vector Search query and index definition for the chunk collection: one place that
/// spells the `$vectorSearch` stage, shared by the store (which runs it) and the evaluation
/// (which prints it beside the scan's results).
///
/// The filter fields must be indexed as `filter` fields in the index definition
/// (`indexDefinition`), or Atlas rejects the query.
public enum AtlasQuery {
    /// The stored vector's field.
    public static let path = "embedding"

    /// `[$vectorSearch, $project]` for `topK` chunks of one tenant's collection.
    /// `numCandidates` is 20 × topK (at most 10 000), Atlas's recommended over-fetch for recall.
    public static func pipeline(
        vector: [Float], tenantID: String, collection: String, embeddingModel: String, topK: Int,
        indexName: String = "chunks_vector"
    ) -> [JSON] {
        let search: JSONObject = [
            "index": .string(indexName),
            "path": .string(path),
            "queryVector": .array(vector.map { .double(Double($0)) }),
            "numCandidates": .integer(Int64(min(10_000, topK * 20))),
            "limit": .integer(Int64(topK)),
            "filter": .object([
                "tenantId": .object(["$eq": .string(tenantID)]),
                "collection": .object(["$eq": .string(collection)]),
                "embeddingModel": .object(["$eq": .string(embeddingModel)]),
            ]),
        ]
        let project: JSONObject = [
            "embedding": .integer(0),
            "score": .object(["$meta": .string("vectorSearchScore")]),
        ]
        return [.object(["$vectorSearch": .object(search)]), .object(["$project": .object(project)])]
    }

    /// The Atlas Search index definition (type `vectorSearch`) for `dimensions`-long vectors.
    public static func indexDefinition(dimensions: Int, name: String = "chunks_vector") -> JSON {
        .object([
            "name": .string(name),
            "type": .string("vectorSearch"),
            "definition": .object([
                "fields": .array([
                    .object([
                        "type": .string("vector"), "path": .string(path),
                        "numDimensions": .integer(Int64(dimensions)), "similarity": .string("cosine"),
                    ]),
                    .object(["type": .string("filter"), "path": .string("tenantId")]),
                    .object(["type": .string("filter"), "path": .string("collection")]),
                    .object(["type": .string("filter"), "path": .string("embeddingModel")]),
                ])
            ]),
        ])
    }
}
