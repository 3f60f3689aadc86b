import SwitchyardRuntime
import Synchronization

/// An in-memory Runtime API: hands out queued invocations and records what is posted, in order,
/// in a journal shared with the watchdog's reporter.
struct ScriptedRuntimeAPIClient: RuntimeAPIClient {
    enum Posted: Equatable, Sendable {
        case response(requestID: String, body: [UInt8])
        case error(requestID: String, ErrorReport)
        case initError(ErrorReport)
    }

    final class Journal: Sendable {
        private let posted = Mutex<[Posted]>([])
        func append(_ entry: Posted) { posted.withLock { $0.append(entry) } }
        var entries: [Posted] { posted.withLock { $0 } }
    }

    var queue: [Invocation]
    var journal = Journal()

    init(_ invocations: [Invocation]) { queue = invocations }

    mutating func next() throws(RuntimeAPIError) -> Invocation {
        guard !queue.isEmpty else { throw .connectionClosed }
        return queue.removeFirst()
    }

    mutating func respond(requestID: String, body: [UInt8]) throws(RuntimeAPIError) {
        journal.append(.response(requestID: requestID, body: body))
    }

    mutating func reportError(requestID: String, _ error: ErrorReport) throws(RuntimeAPIError) {
        journal.append(.error(requestID: requestID, error))
    }

    mutating func reportInitError(_ error: ErrorReport) throws(RuntimeAPIError) {
        journal.append(.initError(error))
    }
}
