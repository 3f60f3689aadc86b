/// What the Express state machine answers (the synchronous execution's `output`), as its Respond
/// states select it: the route and status, and the step outcomes as the functions returned them.
/// The front door turns it into the OpenAI-shaped HTTP response.
public struct PipelineResponse: Codable, Sendable, Equatable {
    /// How the request ended, from the caller's side.
    public enum Status: String, Codable, Sendable, CaseIterable {
        /// The first choice answered.
        case succeeded
        /// An answer came, but not as asked: a fallback model answered, or the detector failed
        /// beside a good LLM answer.
        case degraded
        /// No answer: every candidate failed, or the step's function failed. `error` says why;
        /// every charged attempt was billed.
        case failed
        /// The router refused the request; `rejection` says why.
        case rejected
    }

    public var requestID: String
    public var route: Route
    public var tier: String
    /// The router's one-line explanation of its decision.
    public var explanation: String
    public var status: Status
    public var llm: LLMOutcome?
    public var vision: VisionOutcome?
    /// Batch: each item's outcome, in item order (an `LLMOutcome` or a `VisionOutcome` by the
    /// plan's `itemRoute`).
    public var items: [BatchItemOutcome]?
    /// Why there is no answer (`failed`), or why the detector's part is missing (`degraded`).
    public var error: StepError?
    public var rejection: StepError?

    enum CodingKeys: String, CodingKey {
        case requestID = "requestId"
        case route, tier, explanation, status, llm, vision, items, error, rejection
    }

    public init(
        requestID: String, route: Route, tier: String, explanation: String, status: Status, llm: LLMOutcome? = nil,
        vision: VisionOutcome? = nil, items: [BatchItemOutcome]? = nil, error: StepError? = nil,
        rejection: StepError? = nil
    ) {
        self.requestID = requestID
        self.route = route
        self.tier = tier
        self.explanation = explanation
        self.status = status
        self.llm = llm
        self.vision = vision
        self.items = items
        self.error = error
        self.rejection = rejection
    }
}

/// One batch item's outcome: the LLM's or the detector's, told apart by their fields (a
/// `VisionOutcome` has `results`, an `LLMOutcome` has `attempts`).
public enum BatchItemOutcome: Codable, Sendable, Equatable {
    case llm(LLMOutcome)
    case vision(VisionOutcome)

    enum Probe: String, CodingKey { case results, attempts }

    public init(from decoder: any Decoder) throws {
        let probe = try decoder.container(keyedBy: Probe.self)
        if probe.contains(.results) {
            self = .vision(try VisionOutcome(from: decoder))
        } else {
            self = .llm(try LLMOutcome(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .llm(let outcome): try outcome.encode(to: encoder)
        case .vision(let outcome): try outcome.encode(to: encoder)
        }
    }

    public var status: StepStatus {
        switch self {
        case .llm(let outcome): outcome.status
        case .vision(let outcome): outcome.status
        }
    }
}
