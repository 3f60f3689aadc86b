/// Where a streaming handler writes its response, chunk by chunk, as Lambda's streaming mode
/// relays it to the caller (InvokeWithResponseStream, function URLs, API Gateway's streaming
/// proxy integration).
///
/// The first `write` commits the response: `contentType` is sent then and cannot change, and
/// from then on an error the handler throws reaches the caller as the stream's error trailer
/// rather than as a function error. Each write goes out at once (no buffering here).
///
/// When the caller goes away the Runtime API cuts the upload: the next `write` throws
/// `CancellationError` and cancels the handler's task, so its other awaits stop as well. The same
/// happens when the deadline passes while streaming; the runtime then ends the stream with
/// `Sandbox.Timedout`.
///
/// Use it from the handler's task only; it is not meant to be shared between tasks.
public final class ResponseStream: @unchecked Sendable {
    /// The response's content type, sent with the first write. Default `application/octet-stream`.
    public var contentType = "application/octet-stream"
    /// Bytes written so far.
    public private(set) var bytesWritten = 0

    /// The response was committed (first write done).
    private(set) var started = false
    /// The caller went away (or the invocation was answered elsewhere); nothing more is sent.
    private(set) var closed = false
    private let sink: (any ResponseStreamSink)?

    init(sink: (any ResponseStreamSink)?) { self.sink = sink }

    /// A stream that discards what is written, for calling a streaming handler without the
    /// Runtime API (tests, the single-process server collect output through `collecting`).
    public static func discarding() -> ResponseStream { ResponseStream(sink: nil) }

    /// A stream that hands every chunk to `onChunk`, for calling a streaming handler in-process.
    public static func collecting(_ onChunk: @escaping @Sendable ([UInt8]) -> Void) -> ResponseStream {
        ResponseStream(sink: ClosureSink(onChunk))
    }

    /// Sends `bytes` to the caller.
    /// - Throws: `CancellationError` when the caller went away, the deadline passed or the task
    ///   was cancelled.
    public func write(_ bytes: [UInt8]) async throws {
        try Task.checkCancellation()
        guard !closed else { throw CancellationError() }
        do throws(RuntimeAPIError) {
            if !started {
                try sink?.start(contentType: contentType)
                started = true
            }
            if !bytes.isEmpty { try sink?.write(bytes) }
        } catch {
            closed = true
            // The caller is gone: stop the rest of the handler's work too.
            withUnsafeCurrentTask { $0?.cancel() }
            throw CancellationError()
        }
        bytesWritten += bytes.count
    }

    /// Sends `text` as UTF-8.
    public func write(_ text: String) async throws {
        try await write(Array(text.utf8))
    }
}

/// What a `ResponseStream` writes to: the Runtime API through the loop's client, or a closure.
protocol ResponseStreamSink: AnyObject {
    /// Commits the response. Throws when it may not start (the watchdog answered already).
    func start(contentType: String) throws(RuntimeAPIError)
    func write(_ bytes: [UInt8]) throws(RuntimeAPIError)
}

private final class ClosureSink: ResponseStreamSink {
    let onChunk: @Sendable ([UInt8]) -> Void
    init(_ onChunk: @escaping @Sendable ([UInt8]) -> Void) { self.onChunk = onChunk }
    func start(contentType: String) throws(RuntimeAPIError) {}
    func write(_ bytes: [UInt8]) throws(RuntimeAPIError) { onChunk(bytes) }
}
