import SwitchyardCore
import SwitchyardJSON

/// The lowest layer: bytes in, bytes out. The runtime loop only ever sees this.
public protocol ByteHandler: Sendable {
    func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8]
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
        let decoded: Handler.Event
        do {
            decoded = try JSON.decode(Handler.Event.self, from: event)
        } catch {
            throw RuntimeError.invalidEvent(describeDecodingError(error))
        }
        let output = try await handler.handle(decoded, context: context)
        do {
            return try JSON.encode(output)
        } catch {
            throw RuntimeError.invalidResponse("\(error)")
        }
    }
}
