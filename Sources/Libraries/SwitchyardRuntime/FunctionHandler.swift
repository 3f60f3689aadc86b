import SwitchyardCore
import SwitchyardJSON

/// What the loop runs for each invocation. Implement one of the protocols that refine it:
/// `FunctionHandler` (typed, buffered), `StreamingFunctionHandler` (typed, streamed), or their
/// byte-level layers `ByteHandler` and `StreamingByteHandler`.
public protocol InvocationHandler: Sendable {
    /// Runs one invocation: returns the buffered response, or nil when the response was
    /// streamed through `stream`.
    func invoke(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws -> [UInt8]?
}

/// The lowest buffered layer: bytes in, bytes out.
public protocol ByteHandler: InvocationHandler {
    func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8]
}

extension ByteHandler {
    public func invoke(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws -> [UInt8]? {
        try await handle(event, context: context)
    }
}

/// The lowest streamed layer: bytes in, bytes written to `stream` as they are ready.
///
/// The first write commits the response (Lambda's streaming mode: chunked, no status to change);
/// an error thrown before it is reported like any function error, one thrown after it reaches
/// the caller as the stream's error trailer (`InvokeComplete.ErrorCode` for InvokeWithResponseStream).
/// When the caller disconnects, the next write throws `CancellationError` and the task is
/// cancelled, so any `await` after it stops too.
public protocol StreamingByteHandler: InvocationHandler {
    func handle(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws
}

extension StreamingByteHandler {
    public func invoke(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws -> [UInt8]? {
        try await handle(event, stream: stream, context: context)
        return nil
    }
}

/// A typed handler: a decoded event in, an encodable output out.
///
/// Handlers are plain library values, so other executables (the single-process server, tests,
/// benchmarks) call `handle(_:context:)` directly, without the Runtime API loop.
public protocol FunctionHandler: Sendable {
    associatedtype Event: Decodable & Sendable
    associatedtype Output: Encodable & Sendable

    /// - Throws: a `FunctionError` whose `errorType` the caller can branch on; anything else is
    ///   reported as `Switchyard.Unhandled`.
    func handle(_ event: Event, context: InvocationContext) async throws -> Output
}

/// A typed streaming handler: a decoded event in, bytes written to `stream`.
public protocol StreamingFunctionHandler: Sendable {
    associatedtype Event: Decodable & Sendable

    /// - Throws: a `FunctionError` (see `StreamingByteHandler` for how errors before and after the
    ///   first write reach the caller).
    func handle(_ event: Event, stream: ResponseStream, context: InvocationContext) async throws
}

/// Errors the runtime itself raises around a handler.
public enum RuntimeError: FunctionError, Equatable {
    /// The event is not JSON, or not the shape the handler expects.
    case invalidEvent(String)
    /// The handler's output could not be encoded.
    case invalidResponse(String)
    /// The response exceeds the 6 MB buffered-response limit.
    case responseTooLarge(bytes: Int, limit: Int)
    /// The handler did not finish before the invocation's deadline.
    case deadlineExceeded(milliseconds: Int64)

    public var errorType: String {
        switch self {
        case .invalidEvent: "Runtime.InvalidEvent"
        case .invalidResponse: "Runtime.InvalidResponse"
        // The names Lambda itself uses, so Retry/Catch rules written for AWS match here too.
        case .responseTooLarge: "Function.ResponseSizeTooLarge"
        case .deadlineExceeded: "Sandbox.Timedout"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidEvent(let detail): "the event is not valid for this function: \(detail)"
        case .invalidResponse(let detail): "the function's response could not be encoded: \(detail)"
        case .responseTooLarge(let bytes, let limit):
            "Response payload size (\(bytes) bytes) exceeded maximum allowed payload size (\(limit) bytes)."
        case .deadlineExceeded(let ms):
            "Task timed out after \(ms / 1000).\(ms % 1000 / 100)\(ms % 100 / 10) seconds"
        }
    }
}

/// Adapts a typed handler to bytes using Switchyard's JSON coders.
public struct CodableByteHandler<Handler: FunctionHandler>: ByteHandler {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        let output = try await handler.handle(try decodeEvent(Handler.Event.self, event), context: context)
        do {
            return try JSON.encode(output)
        } catch {
            throw RuntimeError.invalidResponse("\(error)")
        }
    }
}

/// Adapts a typed streaming handler to bytes: decodes the event, passes the stream through.
public struct CodableStreamingHandler<Handler: StreamingFunctionHandler>: StreamingByteHandler {
    public let handler: Handler

    public init(_ handler: Handler) { self.handler = handler }

    public func handle(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws {
        try await handler.handle(try decodeEvent(Handler.Event.self, event), stream: stream, context: context)
    }
}

private func decodeEvent<Event: Decodable>(_ type: Event.Type, _ bytes: [UInt8]) throws -> Event {
    do {
        return try JSON.decode(Event.self, from: bytes)
    } catch {
        throw RuntimeError.invalidEvent(describeDecodingError(error))
    }
}
