import SwitchyardContract
import SwitchyardJSON

/// Asks a small model behind an OpenAI-compatible chat endpoint for a strict JSON verdict
/// (`{"category": ..., "difficulty": ...}`), and falls back to the heuristic on a timeout, an
/// HTTP error or any answer that is not exactly that shape with known values.
///
/// The request carries a JSON schema in `response_format` (llama.cpp's server turns it into a
/// grammar, so even a 135M model answers in shape); the answer is still validated, because a
/// server that ignores the schema must not be able to steer routing with free text.
public struct LLMTaskClassifier: TaskClassifier {
    public var transport: any ClassifierTransport
    /// Chat completions URL, e.g. `http://127.0.0.1:8765/v1/chat/completions`.
    public var url: String
    public var model: String
    public var apiKey: String?
    /// Longest the call may take, whatever the caller's deadline.
    public var timeout: Duration
    public var fallback: HeuristicClassifier
    /// Characters of prompt sent to the classifier (head of the text).
    public var maxPromptCharacters = 1500

    /// - Parameters:
    ///   - baseURL: the OpenAI-compatible base (`…/v1`); `/chat/completions` is appended.
    public init(
        transport: any ClassifierTransport, baseURL: String, model: String, apiKey: String? = nil,
        timeout: Duration = .milliseconds(1500), fallback: HeuristicClassifier = HeuristicClassifier()
    ) {
        self.transport = transport
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.url = base + "/chat/completions"
        self.model = model
        self.apiKey = apiKey
        self.timeout = timeout
        self.fallback = fallback
    }

    public func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification {
        let heuristic = fallback.classify(input)
        // With images the question is detector or vision LLM, which the heuristic settles.
        guard input.imageCount == 0 else { return heuristic }
        let start = ContinuousClock.now
        let callDeadline = min(deadline, start.advanced(by: timeout))
        var fallback = heuristic
        func elapsedMs() -> Int {
            Int((ContinuousClock.now - start).milliseconds)
        }

        let response: (status: Int, body: [UInt8])
        do {
            var headers: [(String, String)] = []
            if let apiKey { headers.append(("Authorization", "Bearer " + apiKey)) }
            response = try await transport.postJSON(
                url: url, headers: headers, body: requestBody(input.text), deadline: callDeadline)
        } catch {
            fallback.fallbackReason =
                ContinuousClock.now >= callDeadline
                ? "classifier timed out" : "classifier call failed: \(String(describing: error).prefix(100))"
            fallback.llmLatencyMs = elapsedMs()
            return fallback
        }
        fallback.llmLatencyMs = elapsedMs()
        guard response.status == 200 else {
            fallback.fallbackReason = "classifier answered HTTP \(response.status)"
            return fallback
        }
        switch Self.parseVerdict(response.body) {
        case .success(let verdict):
            return Classification(
                category: verdict.category, difficulty: verdict.difficulty,
                confidence: verdict.category == heuristic.category ? 0.9 : 0.7, classifier: "llm",
                llmLatencyMs: elapsedMs())
        case .failure(let problem):
            fallback.fallbackReason = "classifier answer rejected: \(problem.detail)"
            return fallback
        }
    }

    // MARK: - Wire

    static let systemPrompt = """
        You label requests for a model router. Reply with JSON only: {"category": C, "difficulty": D}. \
        C is one of: chat, code, summarization, extraction, translation, creative, math, legal, medical. \
        D is one of: easy, medium, hard.
        """

    static let schema: JSON = [
        "type": "object",
        "properties": [
            "category": ["type": "string", "enum": .array(TaskCategory.textCategories.map { .string($0.rawValue) })],
            "difficulty": ["type": "string", "enum": ["easy", "medium", "hard"]],
        ],
        "required": ["category", "difficulty"],
    ]

    func requestBody(_ text: String) -> [UInt8] {
        let body: JSON = [
            "model": .string(model),
            "temperature": 0,
            "max_tokens": 40,
            "messages": [
                ["role": "system", "content": .string(Self.systemPrompt)],
                ["role": "user", "content": .string(String(text.prefix(maxPromptCharacters)))],
            ],
            "response_format": ["type": "json_object", "schema": Self.schema],
        ]
        return body.serialized()
    }

    struct Verdict: Equatable {
        var category: TaskCategory
        var difficulty: Difficulty
    }

    struct VerdictProblem: Error, Equatable {
        var detail: String
    }

    /// Reads `choices[0].message.content` and validates it as a verdict: a JSON object with a
    /// known `category` and `difficulty` (a code fence around it is tolerated, extra text is not).
    static func parseVerdict(_ body: [UInt8]) -> Result<Verdict, VerdictProblem> {
        guard let json = try? JSON.parse(body),
            let content = json["choices"]?[0]?["message"]?["content"]?.stringValue
        else { return .failure(VerdictProblem(detail: "no choices[0].message.content")) }
        var text = Substring(content).trimmingSpaces()
        if text.hasPrefix("```") {
            text = text.drop { $0 != "\n" }
            if text.hasSuffix("```") { text = text.dropLast(3) }
            text = text.trimmingSpaces()
        }
        guard let verdict = try? JSON.parse(String(text)), case .object(let object) = verdict else {
            return .failure(VerdictProblem(detail: "content is not a JSON object: \"\(content.prefix(60))\""))
        }
        guard let categoryName = object["category"]?.stringValue,
            let category = TaskCategory(rawValue: categoryName.lowercased()),
            TaskCategory.textCategories.contains(category)
        else {
            return .failure(
                VerdictProblem(
                    detail: "unknown category \(object["category"]?.serializedString.prefix(40) ?? "missing")"))
        }
        guard let difficultyName = object["difficulty"]?.stringValue,
            let difficulty = Difficulty(rawValue: difficultyName.lowercased())
        else {
            return .failure(
                VerdictProblem(
                    detail: "unknown difficulty \(object["difficulty"]?.serializedString.prefix(40) ?? "missing")"))
        }
        return .success(Verdict(category: category, difficulty: difficulty))
    }
}
