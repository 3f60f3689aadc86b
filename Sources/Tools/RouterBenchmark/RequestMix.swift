import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// A realistic mix: chat, code, legal, summaries of pasted documents, images, hints.
enum RequestMix {
    static func request(
        _ tenant: String, _ messages: [Message] = [], images: [String]? = nil, hints: RoutingHints? = nil
    ) throws -> InferenceRequest {
        InferenceRequest(
            requestID: "bench", tenantID: tenant, messages: messages,
            images: try images?.map { try ImageReference(parsing: $0) }, hints: hints)
    }

    static func requests() throws -> [InferenceRequest] {
        let document = String(
            repeating: "The supplier shall deliver the goods within thirty days of the purchase order. ", count: 60)
        return [
            try request(
                "acme-startup",
                [Message(role: .user, text: "Hi! Can you recommend a couple of sci-fi novels for a long flight?")]),
            try request(
                "lexcorp-legal",
                [
                    Message(role: .system, text: "You are a careful contracts analyst."),
                    Message(
                        role: .user,
                        text: "Review this indemnification clause and flag liability risks for the licensee."),
                ]),
            try request(
                "globex-health",
                [Message(role: .user, text: "Write a Python function that validates ICD-10 codes and add unit tests.")],
                hints: RoutingHints(route: .cheapest, maxCostPicoUSD: PicoUSD(decimal: "0.01"))),
            try request(
                "initech",
                [Message(role: .user, text: "Summarize the following agreement in five bullet points:\n" + document)]),
            try request(
                "umbrella-labs", [Message(role: .user, text: "hey, quick one: name ideas for a status page?")],
                hints: RoutingHints(tags: ["realtime"])),
            try request("lexcorp-legal", images: ["s3://bucket/cam/1.jpg"]),
            try request(
                "globex-health", [Message(role: .user, text: "What is happening in this picture?")],
                images: ["https://cdn.example.com/p.png"]),
            try request(
                "initech", [Message(role: .user, text: "Translate into German: the invoice is attached.")],
                hints: RoutingHints(route: .fastest, maxLatencyMs: 5000)),
        ]
    }

    /// The route each request's shape implies, in the order of `requests()`.
    static let expectedRoutes: [Route] = [.llm, .llm, .llm, .llm, .llm, .vision, .visionLLM, .llm]

    static let signals = SignalsSnapshot(
        monthToDateSpend: PicoUSD(decimal: "1.00"),
        health: ["gpt-4o-mini": ModelHealth(p50Ms: 1900, p95Ms: 5200, errorRate: 0.01, samples: 5000)])
}
