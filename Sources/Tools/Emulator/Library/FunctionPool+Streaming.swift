import SwitchyardRuntimeAPI

/// What a streaming invoker receives, in order: `.begin` once the function starts answering,
/// the response bytes as the function writes them, then exactly one `.complete`. An invocation
/// that fails before answering sends `.complete` alone.
public enum StreamEvent: Sendable, Equatable {
    /// The response started; the content type the runtime declared, if any.
    case begin(contentType: String?)
    case chunk([UInt8])
    /// The end of the invocation: nil on success, else the function's error (which may follow
    /// chunks, when the function failed mid-stream).
    case complete(ErrorReport?)
}

public enum StreamingInvocation: Sendable {
    case started(requestID: String, events: AsyncStream<StreamEvent>)
    case throttled
}

// MARK: - Streamed responses (InvokeWithResponseStream and the runtime's streaming mode)

extension FunctionPool {
    /// Starts one invocation whose answer is relayed as it is produced. A function that answers
    /// in buffered mode arrives as one chunk; one that streams arrives chunk by chunk.
    public func invokeStreaming(payload: [UInt8], clientContext: String?) async -> StreamingInvocation {
        let queued = Self.queue(payload: payload, clientContext: clientContext)
        let (events, continuation) = AsyncStream<StreamEvent>.makeStream()
        switch await place(queued.requestID) {
        case .placed(let target):
            pending[queued.requestID] = PendingInvocation(
                invocation: queued, instanceID: target.id, reply: .streaming(continuation))
            deliver(queued.requestID, to: target)
        case .throttled:
            return .throttled
        case .failed(.functionError(let type, let document)):
            continuation.yield(.complete(ErrorReport(document: document, typeHeader: type)))
            continuation.finish()
        case .failed:
            continuation.finish()
        }
        return .started(requestID: queued.requestID, events: events)
    }

    /// The streaming invoker went away: stop relaying and cut the runtime's upload, so the
    /// handler's next write fails and the runtime cancels it. The invocation itself stays
    /// pending until the environment asks for the next one (or times out).
    public func abandon(requestID: String) {
        guard var entry = pending[requestID], !entry.invokerGone else { return }
        entry.invokerGone = true
        if case .streaming(let continuation) = entry.reply { continuation.finish() }
        entry.reply = nil
        entry.upload?.close()
        pending[requestID] = entry
    }

    /// The runtime began a streamed `/response`. False (and the upload is refused) when the id is
    /// not this environment's unanswered invocation, or its invoker is gone.
    func beginStream(instanceID: Int, requestID: String, contentType: String?, connection: ServerConnection) -> Bool {
        guard var entry = pending[requestID], entry.instanceID == instanceID, let reply = entry.reply, !entry.began
        else { return false }
        entry.began = true
        entry.upload = connection
        if case .streaming(let continuation) = reply { continuation.yield(.begin(contentType: contentType)) }
        pending[requestID] = entry
        return true
    }

    /// One part of a streamed `/response`. False when the upload must stop: the invocation was
    /// answered meanwhile (timeout, invoker gone) or the response outgrew its limit.
    func streamChunk(requestID: String, bytes: [UInt8]) -> Bool {
        guard var entry = pending[requestID], let reply = entry.reply, entry.began else { return false }
        entry.uploadedBytes += bytes.count
        let limit: Int
        switch reply {
        case .streaming(let continuation):
            limit = RuntimeAPI.maximumStreamedResponseBytes
            if entry.uploadedBytes <= limit { continuation.yield(.chunk(bytes)) }
        case .buffered:
            // A buffered Invoke of a streaming function gets the whole response, within 6 MB.
            limit = RuntimeAPI.maximumResponseBytes
            if entry.uploadedBytes <= limit { entry.collected += bytes }
        }
        pending[requestID] = entry
        guard entry.uploadedBytes <= limit else {
            let message = "Response payload size exceeded maximum allowed payload size (\(limit) bytes)."
            answer(
                requestID,
                .functionError(
                    errorType: "Function.ResponseSizeTooLarge",
                    document: Self.errorDocument(type: "Function.ResponseSizeTooLarge", message: message)))
            return false
        }
        return true
    }

    /// The streamed `/response` ended, with the error its trailers carried, if any.
    func endStream(requestID: String, error: ErrorReport?) {
        guard var entry = pending[requestID], let reply = entry.reply, entry.began else { return }
        if let error {
            answer(requestID, .functionError(errorType: error.errorType, document: error.body))
            return
        }
        switch reply {
        case .streaming(let continuation):
            entry.reply = nil
            pending[requestID] = entry
            continuation.yield(.complete(nil))
            continuation.finish()
        case .buffered:
            answer(requestID, .success(entry.collected))
        }
    }

    /// The upload's connection dropped before its end. Nothing is answered here: the process
    /// exit, the runtime's next `/next` or the timeout answers the invocation, whichever comes
    /// first, with the error that names what happened.
    func uploadAborted(requestID: String) {
        pending[requestID]?.upload = nil
    }
}
