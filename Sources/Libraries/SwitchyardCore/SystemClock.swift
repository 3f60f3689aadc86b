/// Wall-clock time, for values that cross process boundaries (Lambda deadlines, record
/// timestamps). Durations inside a process use `ContinuousClock`.
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    public static func nowMilliseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }

    /// Microseconds since the Unix epoch.
    public static func nowMicroseconds() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000 + Int64(ts.tv_nsec) / 1000
    }

    /// RFC 3339 UTC with milliseconds, e.g. `2026-11-25T12:00:00.123Z`.
    public static func iso8601(milliseconds: Int64) -> String {
        let f = UTCFields(epochSeconds: milliseconds / 1000)
        return
            "\(f.year)-\(f.month)-\(f.day)T\(f.hour):\(f.minute):\(f.second).\(zeroPadded(milliseconds % 1000, width: 3))Z"
    }
}

/// The calendar fields of a UTC instant, zero-padded as timestamp formats write them
/// (`2026`, `11`, `05`, …), so each format is only a matter of separators.
public struct UTCFields: Sendable, Equatable {
    public let year: String
    public let month: String
    public let day: String
    public let hour: String
    public let minute: String
    public let second: String

    public init(epochSeconds: Int64) {
        var seconds = time_t(epochSeconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        year = zeroPadded(Int64(parts.tm_year) + 1900, width: 4)
        month = zeroPadded(Int64(parts.tm_mon) + 1, width: 2)
        day = zeroPadded(Int64(parts.tm_mday), width: 2)
        hour = zeroPadded(Int64(parts.tm_hour), width: 2)
        minute = zeroPadded(Int64(parts.tm_min), width: 2)
        second = zeroPadded(Int64(parts.tm_sec), width: 2)
    }
}

private func zeroPadded(_ value: Int64, width: Int) -> String {
    let s = String(value)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
}
