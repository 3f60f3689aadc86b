import SwitchyardContract

/// Freezes the catalog's quality table (decisions.md: frozen and versioned before any
/// evaluation; no evaluation may change it).
///
/// It sits beside the table, in `catalog.json` (`qualityVersion`). `fnv1a64` is the fingerprint
/// of every model's quality scores; the bundle recomputes it, so a catalog whose scores were
/// edited (or a model added) without a new `id` and fingerprint fails at init with
/// `Router.InvalidBundle`, and the evaluation prints the `id` it was run against.
public struct QualityVersion: Sendable, Equatable {
    public var id: String
    /// `Catalog.qualityFingerprint` of the table this id names, 16 lowercase hex digits.
    public var fingerprint: String

    public init(id: String, fingerprint: String) {
        self.id = id
        self.fingerprint = fingerprint
    }
}

extension Catalog {
    /// FNV-1a 64 of `id:category=milli,…;` over the catalog in file order, categories sorted,
    /// scores in thousandths (so the fingerprint does not depend on how a double prints).
    ///
    /// The bytes are hashed as they are produced, not formatted into strings first (a string per
    /// score was most of the 0.24 M instructions this cost at every cold start). Scores are within
    /// 0...1 (`Catalog` checks), so the thousandths are 0...1000.
    public var qualityFingerprint: String {
        var hash = WordScanner.offsetBasis
        func add(_ byte: UInt8) { hash = (hash ^ UInt64(byte)) &* WordScanner.prime }
        func add(_ text: String) { for b in text.utf8 { add(b) } }
        func add(digits value: UInt) {
            if value >= 10 { add(digits: value / 10) }
            add(UInt8(ascii: "0") + UInt8(value % 10))
        }
        func add(decimal value: Int) {
            if value < 0 { add(UInt8(ascii: "-")) }
            add(digits: value.magnitude)
        }
        for model in models {
            add(model.id.rawValue)
            add(UInt8(ascii: ":"))
            for (category, score) in model.quality.sorted(by: { $0.key < $1.key }) {
                add(category)
                add(UInt8(ascii: "="))
                add(decimal: Int((score * 1000).rounded()))
                add(UInt8(ascii: ","))
            }
            add(UInt8(ascii: ";"))
        }
        let digits = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
