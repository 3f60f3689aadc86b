import CMongoC

/// A libmongoc error, classified by whether retrying against the same URI can help.
package struct MongoFailure: Error, CustomStringConvertible {
    var domain: UInt32
    var code: UInt32
    var message: String

    init(_ error: bson_error_t) {
        domain = error.domain
        code = error.code
        var copy = error
        message = withUnsafeBytes(of: &copy.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    init(domain: UInt32, code: UInt32, message: String) {
        self.domain = domain
        self.code = code
        self.message = message
    }

    /// Our own domains: the deadline left no time for a round trip; a write concern was not confirmed.
    static let deadlineDomain: UInt32 = 0x5359_0001
    static let writeConcernDomain: UInt32 = 0x5359_0002

    /// No time is left for another round trip before the operation's deadline.
    static func deadline(remainingMilliseconds: Int64) -> MongoFailure {
        MongoFailure(
            domain: deadlineDomain, code: 0,
            message: "deadline: \(max(0, remainingMilliseconds)) ms left, not enough for another round trip")
    }

    package var isDeadline: Bool { domain == Self.deadlineDomain }

    /// The server answered `CommandNotSupported` (115): e.g. Atlas Search commands and stages on a
    /// server without Atlas Search (MongoDB Community, SecantusDB).
    package var isCommandNotSupported: Bool {
        code == 115 && (domain == MONGOC_ERROR_QUERY.rawValue || domain == MONGOC_ERROR_SERVER.rawValue)
    }

    /// Server error codes that mean "not now" (shutting down, stepping down, network).
    static let transientServerCodes: Set<UInt32> = [6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]

    /// True when the store could not be reached or was going away: retry, then `Usage.StoreUnavailable`.
    package var isUnavailable: Bool {
        if domain == MONGOC_ERROR_STREAM.rawValue || domain == MONGOC_ERROR_SERVER_SELECTION.rawValue { return true }
        // Not confirmed durable (e.g. a majority wtimeout, a node going away): retrying is safe,
        // the writes are idempotent.
        if domain == Self.deadlineDomain || domain == Self.writeConcernDomain { return true }
        if domain == MONGOC_ERROR_CLIENT.rawValue && code == MONGOC_ERROR_CLIENT_NOT_READY.rawValue { return true }
        if domain == MONGOC_ERROR_WRITE_CONCERN.rawValue { return true }
        return Self.transientServerCodes.contains(code)
    }

    package var description: String { "mongoc error \(domain).\(code): \(message)" }
}
