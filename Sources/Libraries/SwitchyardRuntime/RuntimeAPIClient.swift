// The Runtime API definitions (paths, headers, limits, `ErrorReport`) come with the runtime.
@_exported import SwitchyardRuntimeAPI

/// One invocation as `/next` delivers it.
public struct Invocation: Sendable {
    public var requestID: String
    public var deadlineMilliseconds: Int64
    public var invokedFunctionARN: String
    public var traceID: String?
    public var clientContext: String?
    public var cognitoIdentity: String?
    public var event: [UInt8]

    public init(
        requestID: String, deadlineMilliseconds: Int64, invokedFunctionARN: String, traceID: String? = nil,
        clientContext: String? = nil, cognitoIdentity: String? = nil, event: [UInt8]
    ) {
        self.requestID = requestID
        self.deadlineMilliseconds = deadlineMilliseconds
        self.invokedFunctionARN = invokedFunctionARN
        self.traceID = traceID
        self.clientContext = clientContext
        self.cognitoIdentity = cognitoIdentity
        self.event = event
    }
}

/// The calls a runtime makes. The loop is generic over this so tests can drive it without a
/// socket, and so the transport can be swapped after measuring.
public protocol RuntimeAPIClient: Sendable {
    /// Blocks until the next invocation arrives (no timeout: Lambda freezes the process meanwhile).
    mutating func next() throws(RuntimeAPIError) -> Invocation
    mutating func respond(requestID: String, body: [UInt8]) throws(RuntimeAPIError)
    mutating func reportError(requestID: String, _ error: ErrorReport) throws(RuntimeAPIError)
    mutating func reportInitError(_ error: ErrorReport) throws(RuntimeAPIError)

    /// Starts a streamed response: `POST /response` with `Lambda-Runtime-Function-Response-Mode:
    /// streaming`, chunked transfer encoding and the error trailers declared.
    mutating func startStream(requestID: String, contentType: String) throws(RuntimeAPIError)
    /// Sends one part of the streamed response.
    /// - Throws: `.streamClosed` when the Runtime API stopped accepting it (the invoker left).
    mutating func writeStream(_ bytes: [UInt8]) throws(RuntimeAPIError)
    /// Ends the streamed response; `error` travels in the `Lambda-Runtime-Function-Error-Type` and
    /// `-Body` trailers (an error that happened after the first byte).
    mutating func finishStream(error: ErrorReport?) throws(RuntimeAPIError)
}

/// Failures talking to the Runtime API itself. These end the process: Lambda then starts a new
/// execution environment, which is the only recovery there is.
public enum RuntimeAPIError: Error, Equatable, CustomStringConvertible {
    case invalidEndpoint(String)
    case connectFailed(String)
    case connectionClosed
    case io(String)
    case malformedResponse(String)
    case missingHeader(String)
    case unexpectedStatus(Int, String)
    /// The Runtime API refused the payload (HTTP 413).
    case payloadTooLarge
    /// The Runtime API closed a streamed response before its end: the invoker went away, or the
    /// invocation was already answered. Not a failure of the Runtime API itself.
    case streamClosed

    public var description: String {
        switch self {
        case .invalidEndpoint(let e): "invalid AWS_LAMBDA_RUNTIME_API \"\(e)\""
        case .connectFailed(let why): "cannot connect to the Runtime API: \(why)"
        case .connectionClosed: "the Runtime API closed the connection"
        case .io(let why): "Runtime API I/O error: \(why)"
        case .malformedResponse(let why): "malformed Runtime API response: \(why)"
        case .missingHeader(let name): "Runtime API response lacks \(name)"
        case .unexpectedStatus(let status, let body): "Runtime API answered \(status): \(body.prefix(200))"
        case .payloadTooLarge: "the Runtime API refused the payload as too large (413)"
        case .streamClosed: "the Runtime API closed the response stream"
        }
    }
}
