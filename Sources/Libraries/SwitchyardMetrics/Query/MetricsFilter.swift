import SwitchyardContract
import SwitchyardCore

/// What every metrics query is narrowed by: a time range and, optionally, one tenant and one tier.
public struct MetricsFilter: Sendable, Equatable {
    /// Start of the range, epoch ms, inclusive; minute-aligned (floored when parsed).
    public var from: Int64
    /// End of the range, epoch ms, exclusive; minute-aligned (rounded up when parsed).
    public var to: Int64
    public var tenant: String?
    public var tier: String?

    /// Longest range one query may span.
    public static let maxRangeMilliseconds: Int64 = 400 * 86_400_000
    /// Latest time a query may name (year 2200): keeps every sum of times far inside `Int64`.
    public static let maxTime: Int64 = 7_258_118_400_000

    public init(from: Int64, to: Int64, tenant: String? = nil, tier: String? = nil) {
        self.from = from
        self.to = to
        self.tenant = tenant
        self.tier = tier
    }

    /// Parses `from`, `to` (epoch ms), `tenant` and `tier`.
    /// - Parameter now: the default `to`; `from` defaults to 24 hours before `to`.
    /// - Throws: `Dashboard.InvalidParameter` naming the parameter.
    public init(_ parameters: QueryParameters, now: Int64) throws(MetricsError) {
        let to = try parameters.integer("to", in: 0...Self.maxTime) ?? now
        let from = try parameters.integer("from", in: 0...Self.maxTime) ?? max(0, to - 86_400_000)
        guard from < to else { throw .invalidParameter(name: "from", problem: "must be before to") }
        guard to - from <= Self.maxRangeMilliseconds else {
            throw .invalidParameter(name: "to", problem: "the range may span at most 400 days")
        }
        self.from = Granularity.minute.floor(from)
        self.to = min(Granularity.minute.ceil(to), Self.maxTime)
        tenant = try parameters.label("tenant")
        tier = try parameters.label("tier")
    }

    /// Whether a record falls inside this filter.
    public func matches(_ record: UsageRecord) -> Bool {
        record.timestamp >= from && record.timestamp < to && (tenant == nil || record.tenant == tenant)
            && (tier == nil || record.tier == tier)
    }
}

/// Query string parameters, decoded once, with typed, range-checked accessors.
public struct QueryParameters: Sendable, Equatable {
    public private(set) var values: [String: String]

    public init(_ values: [String: String] = [:]) { self.values = values }

    /// Parses `a=1&b=x%20y` (percent-decoding, `+` as space). Bounded: at most 64 parameters of
    /// at most 1 KiB each; a repeated name keeps its last value.
    /// - Throws: `Dashboard.InvalidParameter` for bad escapes, non-UTF-8 text or too much of it.
    public init(queryString: Substring) throws(MetricsError) {
        var values: [String: String] = [:]
        guard queryString.utf8.count <= 16_384 else {
            throw .invalidParameter(name: "query", problem: "longer than 16384 bytes")
        }
        var count = 0
        for pair in queryString.split(separator: "&", omittingEmptySubsequences: true) {
            count += 1
            guard count <= 64 else { throw .invalidParameter(name: "query", problem: "more than 64 parameters") }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = try Self.decode(parts[0], name: "query")
            let value = parts.count > 1 ? try Self.decode(parts[1], name: name) : ""
            guard name.utf8.count <= 64, value.utf8.count <= 1024 else {
                throw .invalidParameter(name: String(name.prefix(64)), problem: "longer than 1024 bytes")
            }
            values[name] = value
        }
        self.values = values
    }

    /// Parameters decoded elsewhere (API Gateway), held to the same bounds as a parsed query.
    /// - Throws: `Dashboard.InvalidParameter` for more than 64 parameters or one over 1 KiB.
    public init(checking values: [String: String]) throws(MetricsError) {
        guard values.count <= 64 else { throw .invalidParameter(name: "query", problem: "more than 64 parameters") }
        for (name, value) in values where name.utf8.count > 64 || value.utf8.count > 1024 {
            throw .invalidParameter(name: String(name.prefix(64)), problem: "longer than 1024 bytes")
        }
        self.values = values
    }

    public subscript(name: String) -> String? { values[name] }

    /// An integer parameter within `range`, or nil when absent or empty.
    public func integer(_ name: String, in range: ClosedRange<Int64>) throws(MetricsError) -> Int64? {
        guard let text = values[name], !text.isEmpty else { return nil }
        guard text.utf8.count <= 20, let value = Int64(text) else {
            throw .invalidParameter(name: name, problem: "must be an integer")
        }
        guard range.contains(value) else {
            throw .invalidParameter(name: name, problem: "must be within \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A label (tenant, tier, model): 1...256 bytes without control characters, or nil when absent or empty.
    public func label(_ name: String) throws(MetricsError) -> String? {
        guard let text = values[name], !text.isEmpty else { return nil }
        guard Identifier.isValid(text) else {
            throw .invalidParameter(name: name, problem: "must be 1...256 bytes without control characters")
        }
        return text
    }

    /// One of a fixed set of words, or `fallback` when absent.
    public func choice<T: RawRepresentable & CaseIterable>(_ name: String, default fallback: T) throws(MetricsError)
        -> T where T.RawValue == String
    {
        guard let text = values[name], !text.isEmpty else { return fallback }
        guard let value = T(rawValue: text) else {
            let allowed = T.allCases.map(\.rawValue).joinedText(separator: ", ")
            throw .invalidParameter(name: name, problem: "must be one of \(allowed)")
        }
        return value
    }

    static func decode(_ text: Substring, name: String) throws(MetricsError) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        func hex(_ b: UInt8?) -> UInt8? {
            guard let b else { return nil }
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = hex(iterator.next()), let low = hex(iterator.next()) else {
                    throw .invalidParameter(name: name, problem: "bad percent escape")
                }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        guard let string = String(validating: bytes, as: UTF8.self) else {
            throw .invalidParameter(name: name, problem: "not UTF-8")
        }
        return string
    }
}
