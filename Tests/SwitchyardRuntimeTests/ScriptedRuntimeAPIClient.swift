import SwitchyardRuntime
import Synchronization

/// An in-memory Runtime API: hands out queued invocations and records what is posted, in order,
/// in a journal shared with the watchdog's reporter. `closeStreamAfter` makes the stream refuse
/// writes after that many chunks, as the Runtime API does when the caller disconnects.
struct ScriptedRuntimeAPIClient: RuntimeAPIClient {
    enum Posted: Equatable, Sendable {
        case response(requestID: String, body: [UInt8])
        case error(requestID: String, ErrorReport)
        case initError(ErrorReport)
        case streamStart(requestID: String, contentType: String)
        case streamChunk([UInt8])
        case streamEnd(ErrorReport?)
    }

    final class Journal: Sendable {
        private let posted = Mutex<[Posted]>([])
        func append(_ entry: Posted) { posted.withLock { $0.append(entry) } }
        var entries: [Posted] { posted.withLock { $0 } }
        /// Chunks sent since the last stream started.
        var chunksInStream: Int {
            var count = 0
            for entry in entries {
                switch entry {
                case .streamStart: count = 0
                case .streamChunk: count += 1
                default: break
                }
            }
            return count
        }
    }

    var queue: [Invocation]
    var journal = Journal()
    var closeStreamAfter: Int?

    init(_ invocations: [Invocation], closeStreamAfter: Int? = nil) {
        queue = invocations
        self.closeStreamAfter = closeStreamAfter
    }

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

    mutating func startStream(requestID: String, contentType: String) throws(RuntimeAPIError) {
        journal.append(.streamStart(requestID: requestID, contentType: contentType))
    }

    mutating func writeStream(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        if let limit = closeStreamAfter, journal.chunksInStream >= limit { throw .streamClosed }
        journal.append(.streamChunk(bytes))
    }

    mutating func finishStream(error: ErrorReport?) throws(RuntimeAPIError) {
        journal.append(.streamEnd(error))
    }
}
