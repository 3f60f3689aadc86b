import SwitchyardContract

/// The policy's `retrieval` section: which requests get a retrieval step before the LLM, and
/// with which embedding models.
///
/// Rules are tried in order; the first whose `when` matches the request decides. A request's
/// `hints.retrieval` names the collection; a rule's `collection` is used when it names none.
/// A matching rule without a collection, for a request that names none, plans no retrieval.
/// Only single LLM requests (route `llm`) get a retrieval step.
public struct RetrievalPolicy: Sendable, Equatable {
    /// Embeds the question (catalog id of an embedding model).
    public var embeddingModel: ModelID
    /// The model the collections' chunks were embedded with, when it is not `embeddingModel`.
    public var passageModel: ModelID?
    /// Chunks put into the prompt, 1...100 (5).
    public var topK: Int
    /// Most prompt tokens one source adds (its `[n] source — heading` line and its text), for the
    /// router's cost estimate, 1...100 000 (320: a 1 000-character chunk, scripts/ingest's
    /// default, is ~250 tokens at the router's 4 bytes per token, its label ~70). Raise it when
    /// ingesting with larger `--max-chars`.
    public var tokensPerSource: Int
    public var rules: [RetrievalRule]

    /// The sources message's instruction and framing, in the router's token estimate (the
    /// instruction in `RetrievalPrompt` is ~200 bytes: 50 tokens, plus 4 for the message; a
    /// retrieval test keeps this at or above the real figure).
    public static let instructionTokens = 64

    public init(
        embeddingModel: ModelID, passageModel: ModelID? = nil, topK: Int = 5, tokensPerSource: Int = 320,
        rules: [RetrievalRule]
    ) {
        self.embeddingModel = embeddingModel
        self.passageModel = passageModel
        self.topK = topK
        self.tokensPerSource = tokensPerSource
        self.rules = rules
    }
}

/// One retrieval rule: when it applies, and the collection to search when the request names none.
public struct RetrievalRule: Sendable, Equatable {
    public var name: String
    public var when: RuleCondition
    public var collection: String?
    /// Overrides the section's `topK`.
    public var topK: Int?

    public init(name: String, when: RuleCondition, collection: String? = nil, topK: Int? = nil) {
        self.name = name
        self.when = when
        self.collection = collection
        self.topK = topK
    }
}

extension RetrievalPolicy {
    /// Collection names: 1...64 bytes of `A-Z a-z 0-9 _ - .`, as the chunk store accepts them.
    public static func isCollectionName(_ name: String) -> Bool {
        (1...64).contains(name.utf8.count)
            && name.utf8.allSatisfy { b in
                (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
                    || b == 0x2D || b == 0x2E
            }
    }

    /// - Throws: `Router.InvalidPolicy` naming the field.
    func validate() throws(PolicyError) {
        guard (1...100).contains(topK) else {
            throw .invalid(path: "retrieval.topK", problem: "\(topK) is outside 1...100")
        }
        guard (1...100_000).contains(tokensPerSource) else {
            throw .invalid(path: "retrieval.tokensPerSource", problem: "\(tokensPerSource) is outside 1...100000")
        }
        for (i, rule) in rules.enumerated() {
            if let k = rule.topK, !(1...100).contains(k) {
                throw .invalid(path: "retrieval.rules[\(i)].topK", problem: "\(k) is outside 1...100")
            }
            if let c = rule.collection, !Self.isCollectionName(c) {
                throw .invalid(
                    path: "retrieval.rules[\(i)].collection", problem: "1...64 characters of A-Z a-z 0-9 _ - .")
            }
        }
    }
}
