import SwitchyardJSON

/// How a read of raw records in a time range uses the raw collection's indexes: the equalities
/// that go to the server (exactly one index's fields, so SecantusDB walks only matching entries,
/// and MongoDB has an exact index too), and the rest, checked in memory on what comes back.
struct RawQueryPlan: Sendable {
    let index: RawTimeIndex
    /// Sent with the time range.
    let pinned: [(field: String, value: String)]
    /// Checked on each returned document.
    let residual: [(field: String, value: String)]

    /// The server-side filter for `[from, to)`.
    func query(from: Int64, to: Int64) -> JSONObject {
        var query = JSONObject(pinned.map { ($0.field, JSON.string($0.value)) })
        query["timestamp"] = .object(["$gte": .integer(from), "$lt": .integer(to)])
        return query
    }

    /// Whether a returned document also meets the equalities the index did not pin.
    func matchesResidual(_ document: JSON) -> Bool {
        residual.allSatisfy { document[$0.field]?.stringValue == $0.value }
    }
}

extension MongoMetricsStore {
    /// How selective an equality usually is: a rare status (failed, rejected…) picks out a few
    /// records, a tenant or a model a share, a tier or a step a third; `succeeded` is nearly all.
    static func selectivity(_ field: String, _ value: String) -> Int {
        switch field {
        case "status": value == "succeeded" ? 1 : 30
        case "tenant", "model": 20
        default: 10
        }
    }

    /// The index for these equalities: of the indexes whose fields the query pins (all of them),
    /// the one whose pinned equalities are most selective; earlier in `rawTimeIndexes` on a tie.
    static func plan(_ equalities: [(field: String, value: String)]) -> RawQueryPlan {
        var values: [String: String] = [:]
        for (field, value) in equalities { values[field] = value }
        var best = MongoUsageSink.rawTimeIndexes[0]
        var bestScore = -1
        for index in MongoUsageSink.rawTimeIndexes where index.equality.allSatisfy({ values[$0] != nil }) {
            let score = index.equality.reduce(0) { $0 + selectivity($1, values[$1]!) }
            if score > bestScore {
                best = index
                bestScore = score
            }
        }
        let pinned = best.equality.map { (field: $0, value: values[$0]!) }
        let residual = values.filter { !best.equality.contains($0.key) }.sorted { $0.key < $1.key }
            .map { (field: $0.key, value: $0.value) }
        return RawQueryPlan(index: best, pinned: pinned, residual: residual)
    }
}
