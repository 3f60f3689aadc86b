import SwitchyardCore

/// Why retrieval could not supply sources. The llm-caller turns any of these into a `degraded`
/// answer without sources, with the error in its `RetrievalReport`.
public enum RetrievalError: FunctionError, Equatable {
    /// The request or the plan is unusable (no question text, a bad collection name, topK out of range).
    case invalidInput(String)
    /// The embedding model gave no vector (every attempt failed).
    case embeddingFailed(String)
    /// The chunk store could not be read in time.
    case storeUnavailable(String)
    /// The stored vectors and the query vector differ in length (a different embedding model).
    case dimensionMismatch(expected: Int, got: Int)
    /// A document that cannot be chunked (empty, too large, not text).
    case invalidDocument(String)
    /// The server has no Atlas Search: MongoDB Community and SecantusDB answer the search-index
    /// commands and `$listSearchIndexes` with `CommandNotSupported` (115).
    case searchUnsupported(String)

    public var errorType: String {
        switch self {
        case .invalidInput: "Retrieval.InvalidInput"
        case .embeddingFailed: "Retrieval.EmbeddingFailed"
        case .storeUnavailable: "Retrieval.StoreUnavailable"
        case .dimensionMismatch: "Retrieval.DimensionMismatch"
        case .invalidDocument: "Retrieval.InvalidDocument"
        case .searchUnsupported: "Retrieval.SearchUnsupported"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidInput(let detail), .embeddingFailed(let detail), .storeUnavailable(let detail),
            .invalidDocument(let detail), .searchUnsupported(let detail):
            String(detail.prefix(300))
        case .dimensionMismatch(let expected, let got):
            "the stored vectors have \(expected) dimensions, the query vector \(got): embed with the ingest's model"
        }
    }

    /// Collection names: 1...64 bytes of `A-Z a-z 0-9 _ - .` (they appear in filters and index names).
    public static func checkCollection(_ name: String) throws(RetrievalError) {
        guard (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
                    || b == 0x2D || b == 0x2E
            })
        else { throw .invalidInput("collection: 1...64 characters of A-Z, a-z, 0-9, '_', '-', '.'") }
    }
}
