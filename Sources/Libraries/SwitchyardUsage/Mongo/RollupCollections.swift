import SwitchyardMetrics

/// Where the rollups of each granularity live. Minute buckets are the write-time rollups every
/// reader already knows (`usage_rollups_minute`, keyed by `minute`); hour and day buckets hold the
/// same sums for the dashboard's longer ranges (`start` is the bucket's first instant).
public enum RollupCollections {
    public static func name(_ granularity: Granularity) -> String {
        switch granularity {
        case .minute: UsageCollections.rollups
        case .hour: "usage_rollups_hour"
        case .day: "usage_rollups_day"
        }
    }

    /// The field holding a bucket's start, epoch ms.
    public static func startField(_ granularity: Granularity) -> String { granularity == .minute ? "minute" : "start" }
}
