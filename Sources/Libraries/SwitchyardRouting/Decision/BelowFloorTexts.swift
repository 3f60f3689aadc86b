import SwitchyardContract
import Synchronization

/// "quality 0.66 < floor 0.78" for one bundle, made the first time a decision needs them: for one
/// floor and one category, every model's text at once, kept for the bundle's life.
///
/// A decision reports the models below its floor for its one category, and formatting two numbers
/// per model per decision would cost more than the rest of the decision, so the texts are made once.
/// Making all of them when the bundle loads (every floor × model × category: 1,110 texts and ~1.7 M
/// instructions for the shipped bundle) was most of `RoutingTable.init` and was paid at init, while a
/// decision reads one row (one floor, one category). Only the policy's floors are kept, so a floor
/// from elsewhere cannot grow the cache; its text is formatted when asked for.
final class BelowFloorTexts: Sendable {
    /// The floors the policy can set: the defaults per difficulty and the rules' floors.
    private let floors: [Double]
    /// `quality[model * TaskCategory.count + category.index]`, as `RoutingTable.quality`.
    private let quality: [Double]
    private let modelCount: Int
    /// `rows[floor index * TaskCategory.count + category.index]`, each indexed by model; nil until
    /// first asked for.
    private let rows: Mutex<[[String]?]>

    init(floors: Set<Double>, quality: [Double], modelCount: Int) {
        self.floors = floors.sorted()
        self.quality = quality
        self.modelCount = modelCount
        rows = Mutex([[String]?](repeating: nil, count: floors.count * TaskCategory.count))
    }

    /// The sentence for a model whose quality for `category` is below `floor`.
    func text(quality score: Double, floor: Double, model: Int, category: TaskCategory) -> String {
        guard let f = floors.firstIndex(of: floor), model >= 0, model < modelCount else {
            return Self.format(score, floor)
        }
        let slot = f &* TaskCategory.count &+ category.index
        return rows.withLock { rows in
            if let row = rows[slot] { return row[model] }
            let row = (0..<modelCount).map { m in
                let q = quality[m &* TaskCategory.count &+ category.index]
                return q >= 0 ? Self.format(q, floor) : ""
            }
            rows[slot] = row
            return row[model]
        }
    }

    /// How many rows have been made (tests: none at load, one per floor and category asked for).
    var rowsMade: Int { rows.withLock { rows in rows.count(where: { $0 != nil }) } }

    static func format(_ quality: Double, _ floor: Double) -> String { "quality \(quality) < floor \(floor)" }
}
