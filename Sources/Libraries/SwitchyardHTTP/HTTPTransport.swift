import SwitchyardCore

/// Sends HTTP requests. Providers, the SigV4 clients and tests depend on this protocol, not on
/// libcurl, so a test can put a recording transport in front of a real one.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and buffers the whole response. Never waits past `deadline`.
    func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError) -> HTTPResponse

    /// Sends `request` and hands the body to `receiver` chunk by chunk as it arrives (for SSE).
    /// Returns the response head once the body has ended.
    func stream(
        _ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver
    ) async throws(TransportError) -> HTTPResponseHead
}

/// Consumes a streamed response. Called on the sending task, in order: `receiveHead` once, then
/// `receiveBody` for each chunk.
public protocol HTTPStreamReceiver: AnyObject {
    func receiveHead(_ head: HTTPResponseHead)
    /// Returns `false` to stop the transfer (the call then throws `TransportError.aborted`).
    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool
}

/// Why a request got no complete response. Provider code maps these to its own typed errors.
public enum TransportError: FunctionError, Equatable {
    /// The deadline passed before the response was complete (or before it was sent).
    case timeout(milliseconds: Int64)
    /// No connection could be made (DNS, refused, TLS handshake).
    case connectFailed(String)
    /// The peer closed the connection or the body ended early (e.g. truncated chunked encoding).
    case connectionClosed(String)
    case responseTooLarge(limit: Int)
    case invalidURL(String)
    /// A `HTTPStreamReceiver` asked to stop.
    case aborted
    case io(String)

    public var errorType: String {
        switch self {
        case .timeout: "HTTP.Timeout"
        case .connectFailed: "HTTP.ConnectFailed"
        case .connectionClosed: "HTTP.ConnectionClosed"
        case .responseTooLarge: "HTTP.ResponseTooLarge"
        case .invalidURL: "HTTP.InvalidURL"
        case .aborted: "HTTP.Aborted"
        case .io: "HTTP.IOError"
        }
    }

    public var errorMessage: String {
        switch self {
        case .timeout(let ms): "no complete response within \(ms) ms"
        case .connectFailed(let why): "could not connect: \(why)"
        case .connectionClosed(let why): "connection closed before the response was complete: \(why)"
        case .responseTooLarge(let limit): "response body exceeds \(limit) bytes"
        case .invalidURL(let url): "invalid URL \"\(url.prefix(200))\""
        case .aborted: "the receiver stopped the transfer"
        case .io(let why): "HTTP I/O error: \(why)"
        }
    }
}
