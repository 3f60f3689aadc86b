/// What re-ingesting a document changes, from its new chunks and the stored ones: chunks are
/// identified by content hash, so unchanged text is neither re-embedded nor rewritten, an edit
/// replaces only the chunks whose text changed, and moved chunks only get their new position.
public struct IngestPlan: Sendable, Equatable {
    /// New chunks: to embed and insert.
    public var toEmbed: [DocumentChunk]
    /// Stored chunks whose text is unchanged but whose position moved: (stored id, new chunk).
    public var toMove: [(id: String, chunk: DocumentChunk)]
    /// Stored ids no longer in the document (or embedded with another model).
    public var toDelete: [String]
    public var unchanged: Int

    /// - Parameters:
    ///   - chunks: the document's chunks now.
    ///   - stored: the document's stored chunks: id, hash, position and embedding model.
    ///   - embeddingModel: the model this ingest embeds with; chunks stored with another are replaced.
    public init(
        chunks: [DocumentChunk], stored: [(id: String, hash: String, position: Int, model: String)],
        embeddingModel: String
    ) {
        var byHash: [String: (id: String, position: Int)] = [:]
        var delete: [String] = []
        for entry in stored {
            if entry.model == embeddingModel, byHash[entry.hash] == nil {
                byHash[entry.hash] = (entry.id, entry.position)
            } else {
                delete.append(entry.id)
            }
        }
        var embed: [DocumentChunk] = []
        var move: [(id: String, chunk: DocumentChunk)] = []
        var unchanged = 0
        for chunk in chunks {
            if let existing = byHash.removeValue(forKey: chunk.hash) {
                if existing.position == chunk.position { unchanged += 1 } else { move.append((existing.id, chunk)) }
            } else {
                embed.append(chunk)
            }
        }
        delete += byHash.values.map(\.id)
        toEmbed = embed
        toMove = move
        toDelete = delete.sorted()
        self.unchanged = unchanged
    }

    public var changesNothing: Bool { toEmbed.isEmpty && toMove.isEmpty && toDelete.isEmpty }

    public static func == (lhs: IngestPlan, rhs: IngestPlan) -> Bool {
        lhs.toEmbed == rhs.toEmbed && lhs.toDelete == rhs.toDelete && lhs.unchanged == rhs.unchanged
            && lhs.toMove.map(\.id) == rhs.toMove.map(\.id) && lhs.toMove.map(\.chunk) == rhs.toMove.map(\.chunk)
    }

    /// The stored id of a chunk: one tenant's collection's document's chunk, as a fixed-length hash.
    public static func chunkID(tenantID: String, collection: String, chunk: DocumentChunk) -> String {
        SHA256.hex(tenantID + "\u{1F}" + collection + "\u{1F}" + chunk.source + "\u{1F}" + chunk.hash)
    }
}
