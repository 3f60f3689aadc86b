import SwitchyardContract
import SwitchyardHTTP

/// The one HTTP call the LLM classifier makes: POST a JSON body, get the status and body back.
///
/// Kept this small so tests can stand in a protocol-exact fake of an OpenAI-compatible server,
/// and so the classifier does not care which HTTP stack carries it.
public protocol ClassifierTransport: Sendable {
    /// - Throws: any error when no complete response arrived by `deadline`.
    func postJSON(url: String, headers: [(String, String)], body: [UInt8], deadline: ContinuousClock.Instant)
        async throws
        -> (status: Int, body: [UInt8])
}

/// Carries classifier calls over Switchyard's shared `HTTPTransport` (libcurl in functions).
public struct HTTPClassifierTransport: ClassifierTransport {
    public let http: any HTTPTransport

    public init(_ http: any HTTPTransport) { self.http = http }

    public func postJSON(url: String, headers: [(String, String)], body: [UInt8], deadline: ContinuousClock.Instant)
        async throws
        -> (status: Int, body: [UInt8])
    {
        var fields = HTTPHeaders(
            ["Content-Type": "application/json", "Accept": "application/json"].map { (name: $0.key, value: $0.value) })
        for (name, value) in headers { fields.set(name, value) }
        let response = try await http.send(
            HTTPRequest(method: .post, url: url, headers: fields, body: body, maxResponseBytes: 1 << 20),
            deadline: deadline)
        return (response.status, response.body)
    }
}
