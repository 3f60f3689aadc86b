import SwitchyardContract
import SwitchyardCore

/// Where a page of recent activity ends: the last record's time and storage key. Records are
/// listed newest first by (timestamp, key), so the next page starts strictly after this one and
/// no record is skipped or shown twice, even when many share a millisecond.
public struct ActivityCursor: Sendable, Equatable {
    public var timestamp: Int64
    /// The record's `documentID` (request, step, invocation, attempt).
    public var key: String

    public init(timestamp: Int64, key: String) {
        self.timestamp = timestamp
        self.key = key
    }

    public init(record: UsageRecord) { self.init(timestamp: record.timestamp, key: record.cursorKey) }

    /// The opaque text form: base64url of `<timestamp>` U+001F `<key>`.
    public var token: String {
        Base64.encode(Array("\(timestamp)\u{1F}\(key)".utf8), alphabet: .urlSafe)
    }

    /// Parses a token this API handed out.
    /// - Throws: `Dashboard.InvalidParameter` (`cursor`) for anything else.
    public init(token: String) throws(MetricsError) {
        let invalid = MetricsError.invalidParameter(name: "cursor", problem: "not a cursor this API handed out")
        guard (1...2048).contains(token.utf8.count) else { throw invalid }
        guard let bytes = try? Base64.decode(token), let decoded = String(validating: bytes, as: UTF8.self) else {
            throw invalid
        }
        let parts = decoded.split(separator: "\u{1F}", maxSplits: 1, omittingEmptySubsequences: false)
        guard parts.count == 2, let timestamp = Int64(parts[0]), timestamp >= 0, !parts[1].isEmpty else {
            throw invalid
        }
        self.init(timestamp: timestamp, key: String(parts[1]))
    }

    /// Whether `record` comes after this cursor in newest-first order.
    public func precedes(_ record: UsageRecord) -> Bool {
        record.timestamp < timestamp || (record.timestamp == timestamp && record.cursorKey < key)
    }
}

extension UsageRecord {
    /// The key recent activity orders records by within one millisecond: the storage key.
    public var cursorKey: String { "\(requestID)\u{1F}\(step)\u{1F}\(invocationID)\u{1F}\(attempt)" }
}
