import SwitchyardJSON

/// How billing writes are acknowledged by MongoDB.
///
/// Issue 19: with `{w: 1}` the server acknowledges a write before it reaches the journal, so a
/// crash in the next ~100 ms loses acknowledged usage records (pymongo measured 1,800 and 1,950 of
/// 2,000 surviving a SIGKILL). `durable` waits for the journal, and for a majority of a replica
/// set (Atlas), before the logger reports success.
public enum UsageWriteConcern: String, Sendable, CaseIterable {
    /// `{j: true}` plus `w: "majority"` when the server is a replica-set member (found with `hello`
    /// at connection), else `w: 1`. The default.
    case durable
    /// `{w: "majority", j: true}` whatever the topology.
    case majority
    /// `{w: 1}` without the journal: faster, but a crash shortly after an acknowledgement loses
    /// it. For benchmarks and throwaway stacks only.
    case fast

    /// The `writeConcern` document for a server that is (or is not) a replica-set member.
    /// - Parameter writeTimeoutMilliseconds: `wtimeout` for majority waits (bounded by the caller's deadline).
    func document(replicaSet: Bool, writeTimeoutMilliseconds: Int64) -> JSONObject {
        switch self {
        case .fast:
            return ["w": .integer(1)]
        case .durable where !replicaSet:
            return ["w": .integer(1), "j": .bool(true)]
        case .durable, .majority:
            return ["w": "majority", "j": .bool(true), "wtimeout": .integer(max(1, writeTimeoutMilliseconds))]
        }
    }

    /// For the init log line: what the setting means, before the topology is known.
    public var summary: String {
        switch self {
        case .durable: "durable (journaled; majority on replica sets)"
        case .majority: "majority (w: majority, journaled)"
        case .fast: "fast (w: 1, not journaled: a crash can lose acknowledged writes)"
        }
    }
}
