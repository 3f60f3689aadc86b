import SwitchyardContract
import SwitchyardRouting

/// Classification metrics over the twelve categories.
struct ClassificationMetrics {
    /// `confusion[true][predicted]`, indexed by `TaskCategory.index`.
    var confusion = [[Int]](repeating: [Int](repeating: 0, count: TaskCategory.count), count: TaskCategory.count)
    var difficultyRight = 0
    var difficultyTotal = 0

    mutating func add(expected: TaskCategory, predicted: TaskCategory) {
        confusion[expected.index][predicted.index] += 1
    }

    var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }
    var correct: Int { (0..<TaskCategory.count).reduce(0) { $0 + confusion[$1][$1] } }
    var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// F1 of one category; nil when it neither occurs nor is predicted.
    func f1(_ k: Int) -> Double? {
        let tp = confusion[k][k]
        let fn = confusion[k].reduce(0, +) - tp
        let fp = (0..<TaskCategory.count).reduce(0) { $0 + confusion[$1][k] } - tp
        guard tp + fp + fn > 0 else { return nil }
        return 2 * Double(tp) / Double(2 * tp + fp + fn)
    }

    /// Mean F1 over the categories present in the labels or the predictions.
    var macroF1: Double {
        let scores = (0..<TaskCategory.count).compactMap(f1)
        return scores.isEmpty ? 0 : scores.reduce(0, +) / Double(scores.count)
    }
}

/// What routing with one classifier's verdicts costs and is worth, against always-premium.
struct RoutingOutcome {
    var routed = 0
    var acceptable = 0
    var refused: [String: Int] = [:]
    var cost: Int64 = 0
    var premiumCost: Int64 = 0
    var quality = 0.0
    var premiumQuality = 0.0
    var mix: [String: Int] = [:]
    var uncertain = 0

    var costSaved: Double { premiumCost == 0 ? 0 : Double(premiumCost - cost) / Double(premiumCost) }
    var qualityRatio: Double { premiumQuality == 0 ? 0 : quality / premiumQuality }
    var acceptableRate: Double {
        routed + refused.values.reduce(0, +) == 0
            ? 0 : Double(acceptable) / Double(routed + refused.values.reduce(0, +))
    }
}

func percentile(_ sorted: [Int], _ p: Double) -> Int {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
}

func pct(_ x: Double) -> String {
    let tenths = Int((x * 1000).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))%"
}

func fixed(_ x: Double, _ digits: Int) -> String {
    var scale = 1.0
    for _ in 0..<digits { scale *= 10 }
    let n = Int((x * scale).rounded())
    let whole = n / Int(scale)
    var frac = String(abs(n % Int(scale)))
    while frac.count < digits { frac = "0" + frac }
    return digits == 0 ? "\(whole)" : "\(n < 0 && whole == 0 ? "-" : "")\(whole).\(frac)"
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

func padLeft(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : String(repeating: " ", count: width - s.count) + s
}
