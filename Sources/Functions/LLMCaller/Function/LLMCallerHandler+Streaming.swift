import SwitchyardContract

/// One event of an in-process streamed call.
public enum LLMStreamEvent: Sendable, Equatable {
    /// A piece of answer text, as the provider sent it.
    case text(String)
    /// The end: the structured outcome with every attempt and its usage. On success it carries
    /// the final usage; when the provider's stream was cut after text went out, `status` is
    /// `failed`, `error.errorType` is `Provider.Truncated`, and `usage` bills what was generated.
    case outcome(LLMOutcome)
}

extension LLMCallerHandler {
    /// Streams an answer for the streaming front door, in-process (Step Functions cannot stream).
    ///
    /// The provider is called with streaming on; text deltas are yielded as they arrive, then one
    /// `.outcome`. Retries and fallbacks happen only before the first text goes out: after that a
    /// cut stream ends the call (`Provider.Truncated`, partial usage billed) rather than splicing
    /// two answers together. Dropping the stream (cancelling its consumer) stops the transfer.
    public func stream(_ input: LLMStepInput, invocationID: String, deadline: ContinuousClock.Instant)
        -> AsyncStream<LLMStreamEvent>
    {
        let (stream, continuation) = AsyncStream.makeStream(of: LLMStreamEvent.self, bufferingPolicy: .unbounded)
        let task = Task {
            let outcome = await call(input, invocationID: invocationID, deadline: deadline) { piece in
                continuation.yield(.text(piece))
            }
            continuation.yield(.outcome(outcome))
            continuation.finish()
        }
        continuation.onTermination = { reason in
            if case .cancelled = reason { task.cancel() }
        }
        return stream
    }
}
