import SwitchyardContract
import SwitchyardJSON
import SwitchyardRetrieval
import Testing

@Suite struct RetrievalPromptTests {
    @Test func numbersSourcesBestFirstAndCitesThem() {
        var first = stored(4, [1], text: "Notice is ninety days.", source: "msa.md")
        first.chunk.heading = "20. Termination"
        let hits = [
            ScoredChunk(chunk: first, score: 0.91234567),
            ScoredChunk(chunk: stored(9, [1], text: "Rent.", source: "lease.md"), score: 0.5),
        ]
        let (message, citations) = RetrievalPrompt.build(hits)
        #expect(message.contains("[1] msa.md — 20. Termination\nNotice is ninety days."))
        #expect(message.contains("[2] lease.md\nRent."))
        #expect(message.hasPrefix("Answer the question using the numbered sources below."))
        #expect(
            citations == [
                Citation(
                    index: 1, source: "msa.md", position: 4, heading: "20. Termination", score: 0.9123, chunkID: "c4"),
                Citation(index: 2, source: "lease.md", position: 9, heading: nil, score: 0.5, chunkID: "c9"),
            ])
    }

    @Test func staysWithinItsBudget() {
        let long = String(repeating: "x", count: 700)
        let hits = (0..<5).map { ScoredChunk(chunk: stored($0, [1], text: long), score: 1) }
        let (_, citations) = RetrievalPrompt.build(hits, maxCharacters: 1500)
        #expect(citations.count == 2)
        // The first source always goes in, however long.
        #expect(RetrievalPrompt.build(hits, maxCharacters: 100).citations.count == 1)
    }

    @Test func atlasQueryFiltersByTenantCollectionAndModel() throws {
        let pipeline = AtlasQuery.pipeline(
            vector: [0.5, -1], tenantID: "acme", collection: "knowledge", embeddingModel: "e5", topK: 5)
        let search = try #require(pipeline.first?["$vectorSearch"])
        #expect(search["filter"]?["tenantId"]?["$eq"]?.stringValue == "acme")
        #expect(search["filter"]?["collection"]?["$eq"]?.stringValue == "knowledge")
        #expect(search["filter"]?["embeddingModel"]?["$eq"]?.stringValue == "e5")
        #expect(search["limit"]?.int64Value == 5 && search["numCandidates"]?.int64Value == 100)
        #expect(search["path"]?.stringValue == "embedding" && search["index"]?.stringValue == "chunks_vector")
        let definition = AtlasQuery.indexDefinition(dimensions: 384)
        let fields = try #require(definition["definition"]?["fields"]?.arrayValue)
        #expect(fields[0]["numDimensions"]?.int64Value == 384 && fields[0]["similarity"]?.stringValue == "cosine")
        #expect(
            fields.dropFirst().compactMap { $0["path"]?.stringValue } == ["tenantId", "collection", "embeddingModel"])
    }

    @Test func outcomeCarriesCitationsAndReportOnTheWire() throws {
        let outcome = LLMOutcome(
            requestID: "r", status: .degraded, answer: nil, attempts: [], usage: [], error: nil, latencyMs: 3,
            citations: [Citation(index: 1, source: "a.md", position: 0, score: 0.5, chunkID: "x")],
            retrieval: RetrievalReport(
                status: "failed", collection: "k", embeddingModel: "e5-small-query",
                error: StepError(errorType: "Retrieval.StoreUnavailable", errorMessage: "down"), latencyMs: 2))
        let json = try JSON.parse(try JSON.encode(outcome))
        #expect(json["citations"]?[0]?["chunkId"]?.stringValue == "x")
        #expect(json["retrieval"]?["error"]?["errorType"]?.stringValue == "Retrieval.StoreUnavailable")
        #expect(try JSON.decode(LLMOutcome.self, from: JSON.encode(outcome)) == outcome)
        // Older outcomes without the fields still decode.
        let old = try JSON.decode(
            LLMOutcome.self,
            from: Array(#"{"requestId":"r","status":"succeeded","attempts":[],"usage":[],"latencyMs":1}"#.utf8))
        #expect(old.citations == nil && old.retrieval == nil)
    }
}
