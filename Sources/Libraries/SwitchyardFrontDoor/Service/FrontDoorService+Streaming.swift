import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage
import Synchronization

extension FrontDoorService {
    /// A streamed chat answer as server-sent events: a role chunk, content chunks as the provider
    /// sends text, a chunk with the finish reason, the retrieval chunk (`citations`, `retrieval`)
    /// when retrieval ran, the usage chunk when the client asked for it
    /// (`stream_options.include_usage`), then `[DONE]`.
    ///
    /// The LLM call runs in its own task, which bills when the call ends however it ends: if the
    /// client goes away (`EventStream.cancel`), the call is cancelled, the provider transfer stops
    /// and the partial usage is enqueued; if the provider's stream is cut mid-answer, the client
    /// gets an SSE error event (no `[DONE]`) and the partial usage is billed.
    @inline(never)  // a synchronous builder: inlined, its temporaries would sit in the caller's async frame
    func stream(
        _ input: LLMStepInput, chat: ChatCompletionRequest, decision: RouteDecision, requestID: String,
        deadline: ContinuousClock.Instant, settleTokens: @escaping @Sendable (Int) -> Void
    ) -> FrontDoorResponse {
        let (events, continuation) = AsyncStream.makeStream(of: [UInt8].self, bufferingPolicy: .unbounded)
        let id = "chatcmpl-" + requestID
        let created = (input.request?.receivedAtMs ?? Self.now()) / 1000
        let model = decision.llm?.candidates.first?.model.rawValue ?? "auto"
        let sentText = Atomic<Bool>(false)
        continuation.yield(
            ChatCompletionResponse.event(
                ChatCompletionResponse.chunk(
                    id: id, created: created, model: model,
                    delta: .object(JSONObject([("role", "assistant"), ("content", "")]))))
        )
        let call = Task {
            let outcome = await backend.callLLM(
                input, invocationID: Self.invocationID(requestID), deadline: deadline
            ) { piece in
                sentText.store(true, ordering: .relaxed)
                continuation.yield(
                    ChatCompletionResponse.event(
                        ChatCompletionResponse.chunk(
                            id: id, created: created, model: model,
                            delta: .object(JSONObject([("content", .string(piece))])))))
            }
            let records = decision.usage + outcome.usage
            // Billing must not be skipped because the client left: enqueue outside this task's cancellation.
            await Task.detached { await self.enqueue(records, context: decision.context) }.value
            settleTokens(
                Int(clamping: outcome.usage.reduce(Int64(0)) { $0 &+ ($1.tokens.map { $0.input &+ $0.output } ?? 0) }))
            let cost = backend.cost(of: records)
            if let answer = outcome.answer, outcome.status != .failed {
                if !sentText.load(ordering: .relaxed), !answer.text.isEmpty {
                    continuation.yield(
                        ChatCompletionResponse.event(
                            ChatCompletionResponse.chunk(
                                id: id, created: created, model: answer.model.rawValue,
                                delta: .object(JSONObject([("content", .string(answer.text))])))))
                }
                continuation.yield(
                    ChatCompletionResponse.event(
                        ChatCompletionResponse.chunk(
                            id: id, created: created, model: answer.model.rawValue, delta: .object(JSONObject()),
                            finishReason: ChatCompletionResponse.finishReason(answer.finishReason))))
                if let sources = ChatCompletionResponse.retrievalChunk(
                    id: id, created: created, model: answer.model.rawValue, outcome: outcome)
                {
                    continuation.yield(ChatCompletionResponse.event(sources))
                }
                if chat.includeUsage {
                    continuation.yield(
                        ChatCompletionResponse.usageChunkEvent(
                            id: id, created: created, model: answer.model.rawValue, tokens: answer.tokens, cost: cost))
                }
                continuation.yield(ChatCompletionResponse.done)
            } else {
                let error = outcome.error ?? StepError(errorType: "LLM.Failed", errorMessage: "no answer")
                continuation.yield(
                    ChatCompletionResponse.errorEvent(
                        .upstream(error)))
            }
            continuation.finish()
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { call.cancel() }
        }
        var headers: [(String, String)] = [
            ("content-type", "text/event-stream"), ("cache-control", "no-cache"),
        ]
        headers += ChatCompletionResponse.routeHeaders(
            requestID: requestID, decision: decision, model: decision.llm?.candidates.first?.model, fallback: false,
            cost: nil)
        return FrontDoorResponse(
            status: 200, headers: headers, body: .events(EventStream(events: events, cancel: { call.cancel() })))
    }
}
