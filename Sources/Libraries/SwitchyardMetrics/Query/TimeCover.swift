/// Which rollup collection answers which part of a time range: whole days from the day rollups,
/// whole hours at the edges from the hour rollups, and the remaining minutes from the minute
/// rollups. A month is then about 30 day buckets per series instead of 43,200 minute buckets,
/// and the answer is still exact for any minute-aligned range.
public struct TimeCover: Sendable, Equatable {
    /// A half-open span `[from, to)` read from the rollups of one granularity.
    public struct Segment: Sendable, Equatable {
        public var granularity: Granularity
        public var from: Int64
        public var to: Int64

        public init(granularity: Granularity, from: Int64, to: Int64) {
            self.granularity = granularity
            self.from = from
            self.to = to
        }
    }

    /// A cover made of given segments (aligned to their granularity, not overlapping).
    public init(segments: [Segment]) { self.segments = segments.sorted { $0.from < $1.from } }

    public private(set) var segments: [Segment]

    /// Covers `[from, to)` (both minute-aligned) with rollups no coarser than `coarsest`: a series
    /// by hour may read hour and minute rollups, never day ones.
    public init(from: Int64, to: Int64, coarsest: Granularity = .day) {
        segments = []
        guard from < to else { return }
        var pieces: [Segment] = []
        func cover(_ from: Int64, _ to: Int64, _ levels: ArraySlice<Granularity>) {
            guard from < to else { return }
            guard let level = levels.last else { return }
            let finer = levels.dropLast()
            if finer.isEmpty {
                pieces.append(Segment(granularity: level, from: from, to: to))
                return
            }
            let start = level.ceil(from)
            let end = level.floor(to)
            if start >= end {
                cover(from, to, finer)
                return
            }
            cover(from, start, finer)
            pieces.append(Segment(granularity: level, from: start, to: end))
            cover(end, to, finer)
        }
        let levels = Granularity.allCases.filter { $0 <= coarsest }
        cover(from, to, levels[...])
        segments = pieces.sorted { $0.from < $1.from }
    }

    /// The segments of one granularity.
    public func segments(of granularity: Granularity) -> [Segment] {
        segments.filter { $0.granularity == granularity }
    }
}
