/// Recall@k and mean reciprocal rank over questions with known gold chunks.
public enum RankingMetrics {
    /// 1 when any of `gold` is among the first `k` of `ranked`, else 0.
    public static func hit(_ ranked: [String], gold: Set<String>, k: Int) -> Double {
        ranked.prefix(k).contains { gold.contains($0) } ? 1 : 0
    }

    /// 1 / rank of the first gold id in `ranked` (1-based), 0 when none is there.
    public static func reciprocalRank(_ ranked: [String], gold: Set<String>) -> Double {
        guard let i = ranked.firstIndex(where: { gold.contains($0) }) else { return 0 }
        return 1 / Double(i + 1)
    }
}
