/// Finds a string enum's case by its raw value: the cases of the same UTF-8 length, then their
/// bytes.
///
/// The synthesized `init(rawValue:)` compares the string with every case in turn, each a full
/// `String` comparison (~640 instructions for `TaskCategory`'s 12 cases, ~1,300 for a 30-field
/// `Field`); init converts every catalog quality key several times, so an enum on that path
/// declares `init?(rawValue:)` through this index instead (~300 for `TaskCategory`, measured over
/// the router's init: 333 lookups, 0.21 M instructions before, 0.10 M after).
///
/// The answer is `String` equality's: two ASCII strings are equal exactly when their bytes are, and
/// anything else (where Unicode equivalence could join different bytes, `"\u{212A}" == "K"`) takes
/// the synthesized path's comparison.
///
/// Inlinable, so each enum's lookup is specialized in its own module: unspecialized, every entry
/// read went through runtime metadata and cost more than the comparison it saved.
public struct RawValueIndex<Value: CaseIterable & RawRepresentable & Sendable>: Sendable
where Value.RawValue == String {
    @usableFromInline let spellings: [[UInt8]]
    @usableFromInline let values: [Value]
    @usableFromInline let allASCII: Bool

    @inlinable public init() {
        values = Array(Value.allCases)
        spellings = values.map { Array($0.rawValue.utf8) }
        allASCII = spellings.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
    }

    /// The case spelt `raw` (by `String` equality), or nil.
    @inlinable public func value(_ raw: String) -> Value? {
        var raw = raw
        let found: Int?? = raw.withUTF8 { input in
            guard allASCII, input.allSatisfy({ $0 < 0x80 }) else { return .none }
            for (i, spelling) in spellings.enumerated()
            where spelling.count == input.count && spelling.elementsEqual(input) {
                return .some(i)
            }
            return .some(nil)
        }
        if let found { return found.map { values[$0] } }
        return values.first { $0.rawValue == raw }
    }
}
