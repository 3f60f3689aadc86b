import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardProviders
import SwitchyardRouting

/// Asks a small model behind an OpenAI-compatible chat endpoint for a strict JSON verdict
/// (`{"category": ..., "difficulty": ...}`), and falls back to the heuristic on a timeout, an
/// HTTP error or any answer that is not exactly that shape with known values.
///
/// The call goes through the providers library: `OpenAICodec` builds and reads the wire format,
/// the shared `HTTPTransport` (libcurl in the function) carries it. The request asks for a JSON
/// object with a schema (llama.cpp's server turns it into a grammar, so even a 135M model answers
/// in shape); the answer is still validated, because a server that ignores the schema must not
/// be able to steer routing with free text. It lives in the function library, behind Routing's
/// `TaskClassifier`, so the routing library itself stays free of I/O.
public struct LLMTaskClassifier: TaskClassifier {
    public var transport: any HTTPTransport
    public var target: ModelTarget
    /// Longest the call may take, whatever the caller's deadline.
    public var timeout: Duration
    public var fallback: HeuristicClassifier
    /// Characters of prompt sent to the classifier (head of the text).
    public var maxPromptCharacters = 1500
    let codec = OpenAICodec(compatible: true)

    /// - Parameters:
    ///   - baseURL: the server's base (`http://127.0.0.1:8765`); a trailing `/v1` is accepted and
    ///     dropped, since the codec adds `/v1/chat/completions`.
    public init(
        transport: any HTTPTransport, baseURL: String, model: String, apiKey: String? = nil,
        timeout: Duration = .milliseconds(1500), fallback: HeuristicClassifier = HeuristicClassifier()
    ) {
        self.transport = transport
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1") { base.removeLast(3) }
        self.target = ModelTarget(provider: .openAICompatible, model: model, baseURL: base, apiKey: apiKey)
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
        func elapsedMs() -> Int { Int((ContinuousClock.now - start).milliseconds) }

        let chat = Self.chat(input.text, maxCharacters: maxPromptCharacters)
        let response: HTTPResponse
        do {
            response = try await transport.send(try request(for: chat), deadline: callDeadline)
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
        let content: String
        do {
            content = try codec.decode(response, request: chat, for: target).text
        } catch {
            fallback.fallbackReason = "classifier answer rejected: \(error.errorMessage.prefix(100))"
            return fallback
        }
        switch Self.parseVerdict(content) {
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

    static func chat(_ text: String, maxCharacters: Int) -> ChatRequest {
        ChatRequest(
            messages: [
                ChatMessage(role: .system, text: systemPrompt),
                ChatMessage(role: .user, text: String(text.prefix(maxCharacters))),
            ], maxTokens: 40, temperature: 0, responseFormat: .json)
    }

    /// The codec's request (JSON mode) with the verdict's schema beside it in `response_format`:
    /// llama.cpp's server turns `{"type": "json_object", "schema": …}` into a grammar, while
    /// OpenAI's `json_schema` form, which the codec writes for a schema, it does not read.
    func request(for chat: ChatRequest) throws -> HTTPRequest {
        var http = try codec.encode(chat, for: target)
        var body = try JSON.parse(http.body)
        if case .object(var object) = body, case .object(var format)? = object["response_format"] {
            format["schema"] = Self.schema
            object["response_format"] = .object(format)
            body = .object(object)
        }
        http.body = body.serialized()
        http.maxResponseBytes = 1 << 20
        return http
    }

    struct Verdict: Equatable {
        var category: TaskCategory
        var difficulty: Difficulty
    }

    struct VerdictProblem: Error, Equatable {
        var detail: String
    }

    /// Validates the model's message as a verdict: a JSON object with a known `category` and
    /// `difficulty` (a code fence around it is tolerated, extra text is not).
    static func parseVerdict(_ content: String) -> Result<Verdict, VerdictProblem> {
        func trimmed(_ s: Substring) -> Substring {
            var s = s
            while s.first == " " || s.first == "\n" { s = s.dropFirst() }
            while s.last == " " || s.last == "\n" { s = s.dropLast() }
            return s
        }
        var text = trimmed(Substring(content))
        if text.hasPrefix("```") {
            text = text.drop { $0 != "\n" }
            if text.hasSuffix("```") { text = text.dropLast(3) }
            text = trimmed(text)
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
