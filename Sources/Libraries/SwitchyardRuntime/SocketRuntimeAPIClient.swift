/// `RuntimeAPIClient` over `LoopbackHTTPConnection`: one reused connection to
/// `AWS_LAMBDA_RUNTIME_API`.
public struct SocketRuntimeAPIClient: RuntimeAPIClient {
    private let connection: LoopbackHTTPConnection

    /// - Parameter endpoint: `host:port`, as in `AWS_LAMBDA_RUNTIME_API`.
    public init(endpoint: String) throws(RuntimeAPIError) {
        guard let colon = endpoint.lastIndex(of: ":"), let port = UInt16(endpoint[endpoint.index(after: colon)...])
        else {
            throw .invalidEndpoint(endpoint)
        }
        var host = String(endpoint[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .invalidEndpoint(endpoint) }
        connection = LoopbackHTTPConnection(host: host, port: port)
    }

    public mutating func next() throws(RuntimeAPIError) -> Invocation {
        try invocation(from: try connection.request(method: "GET", path: RuntimeAPI.nextPath))
    }

    /// Runs the client's per-invocation code once on a canned response (see
    /// `LoopbackHTTPConnection.warmUp`).
    public func warmUp() {
        let body = Array(#"{"warm":"up"}"#.utf8)
        let canned =
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: warm-up\r\n"
            + "Lambda-Runtime-Deadline-Ms: 1\r\nLambda-Runtime-Invoked-Function-Arn: arn\r\n"
            + "Lambda-Runtime-Trace-Id: Root=1-0\r\nContent-Length: \(body.count)\r\n\r\n"
        if let response = connection.warmUp(cannedResponse: Array(canned.utf8) + body) {
            _ = try? invocation(from: response)
        }
    }

    private func invocation(from response: LoopbackHTTPConnection.Response) throws(RuntimeAPIError) -> Invocation {
        guard response.status == 200 else {
            throw .unexpectedStatus(response.status, String(decoding: response.body, as: UTF8.self))
        }
        guard let requestID = response.header(Key.requestID), !requestID.isEmpty else {
            throw .missingHeader(RuntimeAPI.Header.requestID)
        }
        guard let deadline = response.header(Key.deadline).flatMap({ Int64($0) }) else {
            throw .missingHeader(RuntimeAPI.Header.deadline)
        }
        return Invocation(
            requestID: requestID,
            deadlineMilliseconds: deadline,
            invokedFunctionARN: response.header(Key.functionARN) ?? "",
            traceID: response.header(Key.traceID),
            clientContext: response.header(Key.clientContext),
            cognitoIdentity: response.header(Key.cognitoIdentity),
            event: response.body
        )
    }

    /// `/next`'s header names as the connection stores them (lower-cased), computed once.
    private enum Key {
        static let requestID = RuntimeAPI.Header.requestID.lowercased()
        static let deadline = RuntimeAPI.Header.deadline.lowercased()
        static let functionARN = RuntimeAPI.Header.functionARN.lowercased()
        static let traceID = RuntimeAPI.Header.traceID.lowercased()
        static let clientContext = RuntimeAPI.Header.clientContext.lowercased()
        static let cognitoIdentity = RuntimeAPI.Header.cognitoIdentity.lowercased()
    }

    public mutating func respond(requestID: String, body: [UInt8]) throws(RuntimeAPIError) {
        try post(RuntimeAPI.responsePath(requestID), body: body, headers: [])
    }

    public mutating func reportError(requestID: String, _ error: ErrorReport) throws(RuntimeAPIError) {
        try post(
            RuntimeAPI.errorPath(requestID), body: error.body, headers: [(RuntimeAPI.Header.errorType, error.errorType)]
        )
    }

    public mutating func reportInitError(_ error: ErrorReport) throws(RuntimeAPIError) {
        try post(RuntimeAPI.initErrorPath, body: error.body, headers: [(RuntimeAPI.Header.errorType, error.errorType)])
    }

    public mutating func startStream(requestID: String, contentType: String) throws(RuntimeAPIError) {
        try connection.startChunked(
            method: "POST", path: RuntimeAPI.responsePath(requestID),
            headers: [
                (RuntimeAPI.Header.responseMode, RuntimeAPI.streamingResponseMode), ("Content-Type", contentType),
                ("Trailer", RuntimeAPI.streamingTrailerDeclaration),
            ])
    }

    public mutating func writeStream(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        try connection.sendChunk(bytes)
    }

    public mutating func finishStream(error: ErrorReport?) throws(RuntimeAPIError) {
        let trailers = error.map {
            [(RuntimeAPI.Header.errorType, $0.errorType), (RuntimeAPI.Header.errorBody, $0.trailerValue)]
        }
        let response = try connection.finishChunked(trailers: trailers ?? [])
        switch response.status {
        case 200...299: return
        case 413: throw .payloadTooLarge
        default: throw .unexpectedStatus(response.status, String(decoding: response.body.prefix(200), as: UTF8.self))
        }
    }

    private func post(_ path: String, body: [UInt8], headers: [(String, String)]) throws(RuntimeAPIError) {
        let response = try connection.request(
            method: "POST", path: path, headers: headers + [("Content-Type", "application/json")], body: body)
        switch response.status {
        case 200...299: return
        case 413: throw .payloadTooLarge
        default: throw .unexpectedStatus(response.status, String(decoding: response.body, as: UTF8.self))
        }
    }
}
