/// A time bucket size: of a chart's series, and of a rollup collection.
public enum Granularity: String, Codable, Sendable, CaseIterable, Comparable {
    case minute, hour, day

    /// Length in ms.
    public var milliseconds: Int64 {
        switch self {
        case .minute: 60_000
        case .hour: 3_600_000
        case .day: 86_400_000
        }
    }

    /// Start of the bucket holding `time` (UTC; floors negative times too).
    public func floor(_ time: Int64) -> Int64 {
        let r = time % milliseconds
        return time - (r < 0 ? r + milliseconds : r)
    }

    /// Start of the first bucket at or after `time`.
    public func ceil(_ time: Int64) -> Int64 {
        let f = floor(time)
        return f == time ? f : f + milliseconds
    }

    public static func < (lhs: Granularity, rhs: Granularity) -> Bool { lhs.milliseconds < rhs.milliseconds }
}
