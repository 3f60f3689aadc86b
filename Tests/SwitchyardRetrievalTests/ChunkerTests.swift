import SwitchyardRetrieval
import Testing

@Suite struct ChunkerTests {
    let document = """
        # Lease

        ## 1. Rent
        The rent is 100 a year.

        It is paid quarterly.

        ## 2. Repairs
        The tenant repairs the interior.

        SECTION 3 TERMINATION
        Either party may end the lease on notice.
        """

    @Test func splitsAtHeadingsAndPacksParagraphsOfASection() throws {
        let chunks = try Chunker().chunks(of: document, source: "lease.md")
        #expect(
            chunks.map(\.text) == [
                "The rent is 100 a year.\n\nIt is paid quarterly.", "The tenant repairs the interior.",
                "Either party may end the lease on notice.",
            ])
        #expect(
            chunks.map(\.heading) == [
                "Lease > 1. Rent", "Lease > 2. Repairs", "Lease > 2. Repairs > SECTION 3 TERMINATION",
            ])
        #expect(chunks.map(\.position) == [0, 1, 2])
        #expect(chunks.allSatisfy { $0.source == "lease.md" && $0.hash.count == 64 })
        #expect(chunks[0].embeddingText == "Lease > 1. Rent\nThe rent is 100 a year.\n\nIt is paid quarterly.")
    }

    @Test func sameTextSameHashAndRepeatsAreNumbered() throws {
        let text = "## A\nSame words.\n\n## A\nSame words.\n"
        let chunks = try Chunker().chunks(of: text, source: "x")
        #expect(chunks.count == 2)
        #expect(chunks[1].hash == chunks[0].hash + "#1")
        // The hash is SHA-256 of heading, unit separator and text: independent of source and position.
        #expect(chunks[0].hash == SHA256.hex("A\u{1F}Same words."))
    }

    @Test func longParagraphsBecomeBoundedOverlappingWindows() throws {
        let sentence = "The supplier shall deliver the goods on time. "
        let paragraph = String(repeating: sentence, count: 60)  // 2 760 characters
        let chunker = try Chunker(maxCharacters: 500, overlapCharacters: 100)
        let chunks = try chunker.chunks(of: paragraph, source: "p")
        #expect(chunks.count >= 6)
        #expect(chunks.allSatisfy { $0.text.count <= 500 })
        // Every window but the first starts within the previous one (the overlap), at a word.
        for (a, b) in zip(chunks, chunks.dropFirst()) {
            let head = String(b.text.prefix(30))
            #expect(a.text.contains(head))
        }
        // Cut at sentence ends when one is in the last third.
        #expect(chunks.dropLast().allSatisfy { $0.text.hasSuffix(".") })
    }

    @Test func emptyAndOversizedDocumentsAreTypedErrors() throws {
        #expect(throws: RetrievalError.self) { try Chunker().chunks(of: "  \n\n# Only a heading\n", source: "e") }
        #expect(throws: RetrievalError.self) { try Chunker(maxCharacters: 50) }
        #expect(throws: RetrievalError.self) { try Chunker(maxCharacters: 500, overlapCharacters: 250) }
        let big = String(repeating: "a", count: Chunker.maxDocumentBytes + 1)
        #expect(throws: RetrievalError.self) { try Chunker().chunks(of: big, source: "big") }
    }
}

@Suite struct IngestPlanTests {
    func chunk(_ text: String, _ position: Int) -> DocumentChunk {
        DocumentChunk(source: "d", position: position, heading: nil, text: text, hash: SHA256.hex(text))
    }

    @Test func unchangedChangedMovedAndRemoved() {
        let stored = [
            (id: "a", hash: SHA256.hex("one"), position: 0, model: "m"),
            (id: "b", hash: SHA256.hex("two"), position: 1, model: "m"),
            (id: "c", hash: SHA256.hex("three"), position: 2, model: "m"),
            (id: "x", hash: SHA256.hex("old model"), position: 3, model: "other"),
        ]
        // "two" edited to "2", "three" moved up after "one" was kept, "old model" re-embedded.
        let now = [chunk("one", 0), chunk("three", 1), chunk("2", 2), chunk("old model", 3)]
        let plan = IngestPlan(chunks: now, stored: stored, embeddingModel: "m")
        #expect(plan.toEmbed.map(\.text) == ["2", "old model"])
        #expect(plan.toMove.map(\.id) == ["c"] && plan.toMove[0].chunk.position == 1)
        #expect(plan.toDelete == ["b", "x"])
        #expect(plan.unchanged == 1)
        let again = IngestPlan(
            chunks: now,
            stored: now.map { (id: $0.text, hash: $0.hash, position: $0.position, model: "m") }, embeddingModel: "m")
        #expect(again.changesNothing && again.unchanged == 4)
    }

    @Test func chunkIDsSeparateTenantsAndCollections() {
        let c = chunk("text", 0)
        let ids = Set([
            IngestPlan.chunkID(tenantID: "acme", collection: "k", chunk: c),
            IngestPlan.chunkID(tenantID: "globex", collection: "k", chunk: c),
            IngestPlan.chunkID(tenantID: "acme", collection: "k2", chunk: c),
        ])
        #expect(ids.count == 3)
    }
}
