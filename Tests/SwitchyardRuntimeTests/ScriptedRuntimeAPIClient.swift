import SwitchyardRuntime

/// An in-memory Runtime API: hands out queued invocations and records what the loop posts.
struct ScriptedRuntimeAPIClient: RuntimeAPIClient {
    enum Posted: Equatable {
        case response(requestID: String, body: [UInt8])
        case error(requestID: String, ErrorReport)
        case initError(ErrorReport)
    }

    var queue: [Invocation]
    var posted: [Posted] = []

    init(_ invocations: [Invocation]) { queue = invocations }

    mutating func next() throws(RuntimeAPIError) -> Invocation {
        guard !queue.isEmpty else { throw .connectionClosed }
        return queue.removeFirst()
    }

    mutating func respond(requestID: String, body: [UInt8]) throws(RuntimeAPIError) {
        posted.append(.response(requestID: requestID, body: body))
    }

    mutating func reportError(requestID: String, _ error: ErrorReport) throws(RuntimeAPIError) {
        posted.append(.error(requestID: requestID, error))
    }

    mutating func reportInitError(_ error: ErrorReport) throws(RuntimeAPIError) {
        posted.append(.initError(error))
    }
}
