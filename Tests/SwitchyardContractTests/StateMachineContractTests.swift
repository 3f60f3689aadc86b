import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

/// The deployed ASL (`infra/statemachine/*.asl.json`) against the contract: every document a state
/// builds — a function's event, a usage message, a stand-in outcome, the answer — names only fields
/// its contract type has (synthesized decoding would silently ignore a misspelt key), and, filled in
/// from contract-shaped state data, decodes as that type.
final class StateMachineContractTests: XCTestCase {
    // MARK: - The checks

    func testEveryDocumentTheStateMachinesBuildIsAContractType() throws {
        var checked: [String: Int] = [:]
        for file in ["switchyard", "batch-job"] {
            let machine = try Self.definition(file)
            try walk(machine, mapItemSelector: nil) { name, state, itemSelector in
                for (kind, template) in try documents(of: state, named: name, itemSelector: itemSelector) {
                    try check(template, as: kind, at: "\(file)/\(name)")
                    checked[kind.rawValue, default: 0] += 1
                }
            }
        }
        // Each kind of document appears, so a rename of the states cannot make this test vacuous.
        XCTAssertEqual(Set(checked.keys), Set(DocumentKind.allCases.map(\.rawValue)), "\(checked)")
    }

    func testEveryRespondStatusIsAPipelineStatus() throws {
        let machine = try Self.definition("switchyard")
        var statuses: Set<String> = []
        try walk(machine, mapItemSelector: nil) { name, state, _ in
            guard name.hasPrefix("Respond"), let status = state["Parameters"]?["status"]?.stringValue else { return }
            statuses.insert(status)
        }
        XCTAssertEqual(statuses, ["degraded", "failed", "rejected", "succeeded"])
        for status in statuses { XCTAssertNotNil(PipelineResponse.Status(rawValue: status)) }
    }

    func testABatchItemOutcomeIsToldApartByItsFields() throws {
        // The outcomes as the functions encode them, not as BatchItemOutcome would.
        let plain = JSON.array([
            try JSON.encodeToJSON(Samples.llmOutcome), try JSON.encodeToJSON(Samples.visionOutcome),
        ])
        let items = try JSON.decode([BatchItemOutcome].self, from: plain)
        XCTAssertEqual(
            items, [BatchItemOutcome.llm(Samples.llmOutcome), BatchItemOutcome.vision(Samples.visionOutcome)])
        XCTAssertEqual(items.map(\.status), [StepStatus.succeeded, StepStatus.degraded])
        XCTAssertEqual(try JSON.encodeToJSON(items), plain)
    }

    // MARK: - Which document, which type

    enum DocumentKind: String, CaseIterable {
        case llmStepInput, visionStepInput, usageBatch, stepFailure, llmOutcome, visionOutcome, pipelineResponse

        /// A fully populated instance: every field the type can carry appears in its encoding.
        var sample: JSON {
            get throws {
                switch self {
                case .llmStepInput: try JSON.encodeToJSON(Samples.llmStepInput)
                case .visionStepInput: try JSON.encodeToJSON(Samples.visionStepInput)
                case .usageBatch: try JSON.encodeToJSON(Samples.usageBatch)
                case .stepFailure: try JSON.encodeToJSON(Samples.failure)
                case .llmOutcome: try JSON.encodeToJSON(Samples.llmOutcome)
                case .visionOutcome: try JSON.encodeToJSON(Samples.visionOutcome)
                case .pipelineResponse: try JSON.encodeToJSON(Samples.response)
                }
            }
        }

        func decode(_ json: JSON) throws {
            switch self {
            case .llmStepInput: _ = try JSON.decode(LLMStepInput.self, from: json)
            case .visionStepInput: _ = try JSON.decode(VisionStepInput.self, from: json)
            case .usageBatch: _ = try JSON.decode(UsageBatch.self, from: json)
            case .stepFailure: _ = try JSON.decode(StepFailure.self, from: json)
            case .llmOutcome: _ = try JSON.decode(LLMOutcome.self, from: json)
            case .visionOutcome: _ = try JSON.decode(VisionOutcome.self, from: json)
            case .pipelineResponse: _ = try JSON.decode(PipelineResponse.self, from: json)
            }
        }
    }

    /// The documents a state builds, with the type each must be.
    func documents(of state: JSON, named name: String, itemSelector: JSONObject?) throws -> [(
        DocumentKind, JSONObject
    )] {
        let parameters = state["Parameters"]?.objectValue
        switch state["Resource"]?.stringValue {
        case "arn:aws:states:::lambda:invoke":
            let function = try XCTUnwrap(parameters?["FunctionName"]?.stringValue)
            // Inside a Map the whole iteration input is the event: the Map's ItemSelector builds it.
            let payload = parameters?["Payload"]?.objectValue ?? (itemSelector ?? [:])
            switch function {
            case "${LLMCallerFunctionArn}": return [(.llmStepInput, payload)]
            case "${VisionFunctionArn}": return [(.visionStepInput, payload)]
            default: return []  // the router takes the execution input, an InferenceRequest
            }
        case "arn:aws:states:::sqs:sendMessage":
            return [(.usageBatch, try XCTUnwrap(parameters?["MessageBody"]?.objectValue, name))]
        default:
            break
        }
        guard state["Type"]?.stringValue == "Pass", let parameters else { return [] }
        if name.hasPrefix("Respond") { return [(.pipelineResponse, parameters)] }
        if name.hasSuffix("NoOutcome") {
            let outcome = try XCTUnwrap(parameters["outcome"]?.objectValue, name)
            return [(outcome["attempts"] != nil ? .llmOutcome : .visionOutcome, outcome)]
        }
        if parameters["step"] != nil || parameters["step.$"] != nil { return [(.stepFailure, parameters)] }
        return []
    }

    func check(_ template: JSONObject, as kind: DocumentKind, at place: String) throws {
        try checkKeys(template, against: kind.sample, at: place)
        let document = try Resolver().resolve(.object(template))
        XCTAssertNoThrow(try kind.decode(document), "\(place): \(kind.rawValue) does not decode from \(document)")
    }

    /// Every key of `template` (and of its static nested objects) is a field of `sample`.
    func checkKeys(_ template: JSONObject, against sample: JSON, at place: String) throws {
        for (key, value) in template.members {
            let field = key.hasSuffix(".$") ? String(key.dropLast(2)) : key
            guard let expected = sample[field] else {
                XCTFail(
                    "\(place): \(field) is not a field of the contract type (has \(sample.objectValue?.keys ?? []))")
                continue
            }
            if !key.hasSuffix(".$"), case .object(let nested) = value {
                try checkKeys(nested, against: expected.arrayValue?.first ?? expected, at: "\(place).\(field)")
            }
        }
    }

    // MARK: - Walking the definition

    static func definition(_ name: String) throws -> JSON {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/SwitchyardContractTests/StateMachineContractTests.swift
        let path = parts.joined(separator: "/") + "/infra/statemachine/\(name).asl.json"
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "\(path) is missing")
        return try JSON.parse(Array(data))
    }

    func walk(
        _ machine: JSON, mapItemSelector: JSONObject?, _ visit: (String, JSON, JSONObject?) throws -> Void
    ) throws {
        for (name, state) in machine["States"]?.objectValue?.members ?? [] {
            try visit(name, state, mapItemSelector)
            for branch in state["Branches"]?.arrayValue ?? [] {
                try walk(branch, mapItemSelector: nil, visit)
            }
            if let processor = state["ItemProcessor"] {
                try walk(processor, mapItemSelector: state["ItemSelector"]?.objectValue, visit)
            }
        }
    }
}

// MARK: - Contract-shaped state data and a JSONPath subset to read it

/// Fills a payload template from contract-shaped state data, as Step Functions would: `.$` keys
/// take a path (`$.…`, `$$.…`, `[*]` and `*` included) or an intrinsic (`States.Array`,
/// `States.Format`).
struct Resolver {
    let state: JSON
    let context: JSON

    init() {
        let outcomePair = { (outcome: JSON) -> JSON in
            ["outcome": outcome, "failures": .array([(try? JSON.encodeToJSON(Samples.failure)) ?? .null])]
        }
        let llm = outcomePair((try? JSON.encodeToJSON(Samples.llmOutcome)) ?? .null)
        let vision = outcomePair((try? JSON.encodeToJSON(Samples.visionOutcome)) ?? .null)
        let decision = (try? JSON.encodeToJSON(Samples.decision)) ?? .null
        state = [
            "decision": decision, "llm": llm, "vision": vision, "result": llm,
            "tandem": ["llm": llm, "vision": vision],
            "batch": .array([(try? JSON.encodeToJSON(Samples.llmOutcome)) ?? .null]),
            // A Catch result (Error, Cause), and the same reshaped into a StepFailure.
            "failure": ["Error": "Lambda.ServiceException", "Cause": "{}", "step": "llm", "error": "E", "cause": "C"],
            "item": (try? JSON.encodeToJSON(Samples.item)) ?? .null,
            "plan": (try? JSON.encodeToJSON(Samples.llmPlan)) ?? .null,
            "context": (try? JSON.encodeToJSON(Samples.context)) ?? .null,
            "requestId": "req-1", "tenantId": "acme",
        ]
        context = [
            "Execution": [
                "Id": "arn:aws:states:us-east-1:123456789012:execution:switchyard:e1",
                "StartTime": "2026-11-30T10:00:00.000Z",
                "Input": (try? JSON.encodeToJSON(Samples.request)) ?? .null,
            ],
            "State": ["EnteredTime": "2026-11-30T10:00:01.000Z"],
            "Map": ["Item": ["Value": (try? JSON.encodeToJSON(Samples.item)) ?? .null]],
        ]
    }

    func resolve(_ template: JSON) throws -> JSON {
        guard case .object(let object) = template else { return template }
        var out = JSONObject()
        for (key, value) in object.members {
            if key.hasSuffix(".$"), let expression = value.stringValue {
                out[String(key.dropLast(2))] = try evaluate(expression)
            } else {
                out[key] = try resolve(value)
            }
        }
        return .object(out)
    }

    func evaluate(_ expression: String) throws -> JSON {
        if expression.hasPrefix("States.Array(") {
            return .array(try arguments(of: expression).map(evaluate))
        }
        if expression.hasPrefix("States.Format(") { return "formatted" }
        if expression.hasPrefix("$$") { return try path(String(expression.dropFirst(2)), in: context) }
        return try path(String(expression.dropFirst(1)), in: state)
    }

    func arguments(of call: String) throws -> [String] {
        let inner = call[call.index(after: try XCTUnwrap(call.firstIndex(of: "(")))..<call.index(before: call.endIndex)]
        return inner.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `.a.b`, `.a[*].b`, `.*.b[*]`: a definite path gives the value; `*` or `[*]` give the list of matches.
    func path(_ path: String, in root: JSON) throws -> JSON {
        var nodes = [root]
        var spread = false
        for var segment in path.split(separator: ".").map(String.init) {
            var each = false
            if segment.hasSuffix("[*]") {
                segment = String(segment.dropLast(3))
                each = true
            }
            if segment == "*" {
                nodes = nodes.flatMap { $0.objectValue?.members.map(\.value) ?? [] }
                spread = true
            } else {
                nodes = nodes.compactMap { $0[segment] }
            }
            if each {
                nodes = nodes.flatMap { $0.arrayValue ?? [] }
                spread = true
            }
        }
        if spread { return .array(nodes) }
        return try XCTUnwrap(nodes.first, "$\(path) is not in the sample state data")
    }
}

/// Contract values with every optional field set, so their encodings list every field.
enum Samples {
    static let image = try! ImageReference(parsing: "https://img.example.com/a.png")
    static let context = UsageContext(
        requestID: "req-1", executionID: "e1", tenantID: "acme", user: "u", tier: "basic", route: "llm cheapest",
        category: .chat, difficulty: .easy, hints: RoutingHints(route: .cheapest), estimatedCostPicoUSD: PicoUSD(1),
        bundleVersion: "b1")
    static let record = UsageRecord(
        context: context, step: "llm", invocationID: "inv-1", timestamp: 1, backend: .external, modality: .text,
        latency: .init(totalMs: 1), status: .succeeded)
    static let request = InferenceRequest(
        requestID: "req-1", tenantID: "acme", user: "u", messages: [Message(role: .user, text: "hi")], images: [image],
        hints: RoutingHints(route: .cheapest), parameters: GenerationParameters(maxTokens: 64), batch: [item],
        stream: false, receivedAtMs: 1)
    static let item = BatchItem(id: "item-1", text: "label me", images: [image])
    static let llmPlan = LLMPlan(
        candidates: [LLMCandidate(model: "gpt-4o-mini", attemptTimeoutMs: 1000, contextWindow: 128_000)],
        maxOutputTokens: 64, groundWithDetections: true)
    static let visionPlan = VisionPlan(
        candidates: [VisionCandidate(model: "yolov8n-lambda", attemptTimeoutMs: 1000)], confidenceThreshold: 0.25,
        iouThreshold: 0.45, maxDetections: 100)
    static let error = StepError(errorType: "Provider.Unavailable", errorMessage: "every candidate failed")
    static let failure = StepFailure(step: "llm", error: "Lambda.ServiceException", cause: "{}")
    static let tokens = UsageRecord.Tokens(input: 10, output: 5)
    static let llmOutcome = LLMOutcome(
        requestID: "req-1", itemID: "item-1", status: .succeeded,
        answer: LLMAnswer(
            text: "hello", finishReason: "stop", model: "gpt-4o-mini", provider: .openAI, providerModel: "gpt-4o-mini",
            toolCalls: [ToolCall(id: "c1", name: "f", arguments: "{}")], fallbackUsed: false, tokens: tokens,
            ttftMs: 1),
        attempts: [
            LLMAttempt(
                model: "gpt-4o-mini", provider: .openAI, outcome: "ok", errorType: "E", errorMessage: "m", latencyMs: 1,
                tokens: tokens)
        ], usage: [record], error: error, latencyMs: 2)
    static let visionOutcome = VisionOutcome(
        requestID: "req-1", itemID: "item-1", status: .degraded, model: "yolov8n-lambda", provider: .lambda,
        results: [
            ImageDetections(
                width: 4, height: 4, format: "PNG", orientation: 1,
                detections: [
                    Detection(
                        box: BoundingBox(x1: 0, y1: 0, x2: 1, y2: 1), confidence: 0.9, classID: 0, className: "person")
                ])
        ], usage: [record], error: error, timings: VisionTimings(fetchMs: 1, decodeMs: 1, inferenceMs: 1, totalMs: 3))
    static let llmStepInput = LLMStepInput(
        request: request, item: item, parameters: GenerationParameters(maxTokens: 64), plan: llmPlan, context: context,
        grounding: visionOutcome, retrieval: retrievalPlan)
    static let retrievalPlan = RetrievalPlan(
        collection: "knowledge", topK: 5, embeddingModel: "e5-small-query", passageModel: "e5-small-passage")
    static let visionStepInput = VisionStepInput(request: request, item: item, plan: visionPlan, context: context)
    static let usageBatch = UsageBatch(
        records: [record], batches: [[record]], failures: [failure], context: context,
        execution: ExecutionFacts(executionID: "e1", startTime: "t0", endTime: "t1", memoryMB: 64))
    static let decision = RouteDecision(
        requestID: "req-1", tenantID: "acme", tier: "basic", bundleVersion: "b1", route: .llm, strategy: .cheapest,
        llm: llmPlan, vision: visionPlan, batch: BatchPlan(items: [item], itemRoute: .llm, maxConcurrency: 4),
        retrieval: retrievalPlan, rejection: error, explanation: "cheapest model for chat", context: context,
        usage: [record])
    static let response = PipelineResponse(
        requestID: "req-1", route: .llm, tier: "basic", explanation: "x", status: .succeeded, llm: llmOutcome,
        vision: visionOutcome, items: [.llm(llmOutcome)], error: error, rejection: error)
}
