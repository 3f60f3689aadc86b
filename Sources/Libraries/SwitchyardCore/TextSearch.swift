// Substring search without `_StringProcessing`. Its `contains(_:)` and `firstRange(of:)` were the
// package's only uses of that module, and importing it linked it and `_RegexParser` (about 1 MB)
// into every bootstrap; the package now builds with its implicit import disabled (Package.swift,
// docs/packaging.md).

extension StringProtocol {
    /// The first occurrence of `text`, compared by UTF-8 bytes (Unicode scalars, exactly: no
    /// canonical equivalence, no case folding); nil when absent, an empty range at the start for an
    /// empty `text`. Time is at most this string's length times `text`'s: for short, fixed needles.
    public func firstRange(ofText text: some StringProtocol) -> Range<Index>? {
        let needle = Array(text.utf8)
        guard let first = needle.first else { return startIndex..<startIndex }
        let bytes = utf8
        var start = bytes.startIndex
        while let found = bytes[start...].firstIndex(of: first) {
            var end = found
            var matched = 0
            while matched < needle.count, end != bytes.endIndex, bytes[end] == needle[matched] {
                bytes.formIndex(after: &end)
                matched += 1
            }
            if matched == needle.count { return found..<end }
            if end == bytes.endIndex { return nil }
            start = bytes.index(after: found)
        }
        return nil
    }

    /// Whether `text` occurs in this string, compared by UTF-8 bytes (see `firstRange(ofText:)`).
    public func contains(text: some StringProtocol) -> Bool { firstRange(ofText: text) != nil }
}
